"""``[server] production = true``: the hub refuses to start with a development choice.

Each choice below is right for the demo and wrong for a hub that partners and
citizens reach; a production settings file (``deploy/production.toml``) says
``production = true`` so that a later edit, or an environment variable left over
from a staging host, cannot quietly bring one back. Every problem is named at once,
in the one-line message of a :class:`SettingsError`, before anything listens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.settings_model import AuthSettings, SettingsError

if TYPE_CHECKING:
    from hub.settings import Settings


def production_problems(settings: Settings) -> list[tuple[str, str]]:
    """(setting, problem) for every development choice ``settings`` make."""
    problems: list[tuple[str, str]] = []
    auth = settings.auth
    if auth.development_sign_in:
        problems.append(
            (
                "auth.development_sign_in",
                "must be false in production: its one-time codes go to the log, so whoever"
                " reads the log can sign in as any citizen; use [auth.upstream]",
            )
        )
    if auth.key_encryption_key is None:
        problems.append(
            (
                "auth.key_encryption_key",
                "is required in production (CITIZEN_HUB_KEY_ENCRYPTION_KEY): the signing"
                " keys would be stored in clear",
            )
        )
    if auth.issuer == AuthSettings().issuer:
        problems.append(
            ("auth.issuer", "must be the hub's public https:// URL in production, not the default")
        )
    rules = settings.graphql
    if rules.introspection:
        problems.append(
            (
                "graphql.introspection",
                "must be false in production: partners get the SDL (schema.graphql), not"
                " a map of every field from the live hub",
            )
        )
    if not rules.required and not rules.trusted_clients:
        problems.append(
            (
                "graphql.trusted_documents",
                'must be "required" (or trusted_clients must name the super-app) in'
                " production: the super-app sends registered documents only",
            )
        )
    if rules.graphiql_free_text:
        problems.append(
            (
                "graphql.graphiql_free_text",
                "must be false in production: any caller can claim to be GraphiQL",
            )
        )
    if settings.metrics.token is None:
        problems.append(
            (
                "metrics.token",
                "is required in production (CITIZEN_HUB_METRICS_TOKEN): /metrics names"
                " every client and operation",
            )
        )
    return problems


def check_production(settings: Settings) -> None:
    """Raise :class:`SettingsError` naming every development choice, when ``production``."""
    if not settings.production:
        return
    problems = production_problems(settings)
    if not problems:
        return
    if len(problems) == 1:
        setting, problem = problems[0]
        raise SettingsError(setting, f"{problem} ([server] production = true)")
    lines = "; ".join(f"{setting} {problem}" for setting, problem in problems)
    raise SettingsError(
        "server.production", f"the hub will not start with development choices: {lines}"
    )
