"""Settings from a TOML file and environment variables.

Precedence: environment over file over defaults. The file is ``citizen-hub.toml``
in the working folder, or the one ``CITIZEN_HUB_CONFIG`` names::

    [server]
    host = "127.0.0.1"
    port = 8080
    data_dir = ".data"          # the embedded PostgreSQL lives in <data_dir>/pg
    cors_origins = []           # browser origins that may call /graphql and /oauth/* (none)

    [sources]                   # one DSN per product; a missing one uses the embedded server
    siak = "postgresql://hub_reader@db.siak.internal/siak"

    [hub]
    dsn = "postgresql://hub@db.hub.internal/hub"

    [limits]
    source_timeout_ms = 2000    # per source call
    breaker_failures = 5        # consecutive failures that open a source's circuit
    breaker_reset_seconds = 30  # how long it stays open before a probe
    max_citizens = 100          # cap of citizens(niks)
    requests_per_minute = 600   # per client, in any 60 seconds (hub.limits)
    distinct_niks_per_hour = 1000  # per client: distinct NIKs asked for in any hour
    max_aliases = 30            # aliased fields per operation, fragments expanded
    max_cost = 5000             # source reads one operation may make (docs/access.md)
    cost_per_minute = 50000     # per client: the cost of its operations in any 60 seconds
    family_size = 10            # members a family card is weighed at in the cost
    max_body_bytes = 262144     # a POST /graphql body (413 past it)
    max_variables_bytes = 65536 # an operation's variables, as JSON text
    websockets_per_address = 20 # open at once from one client address (hub.socket_limits)
    websocket_idle_seconds = 60 # a socket with no operation running is closed after this

    [graphql]                   # introspection and trusted documents (hub.settings_graphql)
    introspection = true        # false: __schema and __type are refused
    trusted_documents = "optional"  # "required": only registered documents (documentId)

    [redis]                     # shares the per-client limits across hub instances
    url = "redis://127.0.0.1:6379/0"   # unset: limits are per process

    [auth]                      # OAuth: the hub's own authorization server and trusted issuers
    issuer = "https://hub.tangerangkota.go.id"   # the hub's ``iss`` (default urn:citizen-hub)
    audience = "citizen-hub"    # the ``aud`` every accepted token must carry
    signing_alg = "ES256"       # or RS256, for keys generated from now on
    token_seconds = 900         # lifetime of partner tokens
    citizen_token_seconds = 3600
    leeway_seconds = 30         # clock skew allowed on exp/nbf/iat
    max_token_lifetime_seconds = 86400  # longest exp - iat accepted from any issuer
    jwks_refresh_seconds = 60   # an unknown kid refetches an issuer's JWKS at most this often
    keys_cache_seconds = 300    # fetched JWKS are reloaded after this long
    revocation_cache_seconds = 10

    key_encryption_key = "…"    # 32 random bytes, base64url: seals the private signing keys

    development_sign_in = false # citizens sign in with NIK, birth date and a one-time code
                                # printed to the log (demo and tests; serve refuses it)
    authorization_code_seconds = 60    # citizens signing in to apps (hub.oauth)
    app_token_seconds = 600     # access tokens of apps acting for a signed-in citizen
    refresh_token_seconds = 2592000    # a sign-in's refresh tokens live at most this long
    consent_days = 180          # a citizen's consent to an app lasts this long

    [auth.upstream]             # production sign-in: the city's OpenID provider (hub.oauth)
    issuer = "https://sso.tangerangkota.go.id/realms/warga"
    client_id = "citizen-hub"
    client_secret = "…"         # or CITIZEN_HUB_UPSTREAM_CLIENT_SECRET
    nik_claim = "nik"           # the ID token claim holding the citizen's NIK

    [[auth.issuers]]            # more issuers whose tokens the hub accepts, e.g. the city SSO
    issuer = "https://sso.tangerangkota.go.id/realms/warga"
    jwks_url = "https://sso.tangerangkota.go.id/realms/warga/protocol/openid-connect/certs"
    audience = "citizen-hub"    # default: auth.audience

    [audit]                     # the disclosure log (hub.audit)
    dsn = "postgresql://citizen_hub_app@db.hub.internal/hub"   # its writer's own login
    checkpoint_file = "/var/lib/citizen-hub/audit-checkpoints.jsonl"  # default <data_dir>/...
    checkpoint_seconds = 300    # how often the serving hub checkpoints the chain's head

    # [server] production, shutdown_seconds, log_format, trusted_proxies, database_connections;
    # [metrics] token, networks;
    # [telemetry] otlp_endpoint, service_name, sample_ratio: see hub.settings_operations
    # (environment: CITIZEN_HUB_PRODUCTION, CITIZEN_HUB_LOG_FORMAT,
    # CITIZEN_HUB_METRICS_TOKEN, CITIZEN_HUB_OTLP_ENDPOINT).

Environment: ``CITIZEN_HUB_<SOURCE>_DSN`` (e.g. ``CITIZEN_HUB_SIAK_DSN``),
``CITIZEN_HUB_HUB_DSN``, ``CITIZEN_HUB_REDIS_URL``, ``CITIZEN_HUB_HOST``, ``CITIZEN_HUB_PORT``,
``CITIZEN_HUB_DATA_DIR``, ``CITIZEN_HUB_AUTH_ISSUER``, ``CITIZEN_HUB_AUDIT_DSN``,
``CITIZEN_HUB_AUDIT_CHECKPOINT_FILE``, ``CITIZEN_HUB_CORS_ORIGINS`` (comma-separated),
``CITIZEN_HUB_UPSTREAM_CLIENT_SECRET``, and ``CITIZEN_HUB_KEY_ENCRYPTION_KEY`` (or
``[auth] key_encryption_key``: 32 random bytes, base64url, e.g.
``python -c "import secrets; print(secrets.token_urlsafe(32))"``; when set, the hub's
private signing keys are stored sealed with it; ``serve`` refuses to start without it,
only ``demo`` stores them in clear).

Every problem is a :class:`SettingsError` whose message is one line naming the
setting and what is wrong with it.

This module reads the file and the environment into :class:`Settings` and checks each
section but ``[auth]``, which :mod:`hub.settings_auth` reads. The dataclasses live in
:mod:`hub.settings_model`, the checks of single values in :mod:`hub.settings_values`;
every public name of those is importable from here too.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from connectors.base import Source
from hub.settings_auth import auth_settings
from hub.settings_graphql import GRAPHQL_KEYS, graphql_settings
from hub.settings_model import (
    SIGNING_ALGS,
    AuditSettings,
    AuthSettings,
    Limits,
    Settings,
    SettingsError,
    TrustedIssuer,
    UpstreamOIDC,
)
from hub.settings_operations import (
    METRICS_KEYS,
    SERVER_KEYS,
    TELEMETRY_KEYS,
    metrics_settings,
    server_operations,
    telemetry_settings,
)
from hub.settings_values import (
    check_cors_origins,
    check_dsn,
    check_known,
    check_number,
    check_port,
    check_redis_url,
    check_table,
    check_text,
    redact,
)

__all__ = [
    "DEFAULT_CONFIG",
    "SIGNING_ALGS",
    "AuditSettings",
    "AuthSettings",
    "Limits",
    "Settings",
    "SettingsError",
    "TrustedIssuer",
    "UpstreamOIDC",
    "load_settings",
    "redact",
]

DEFAULT_CONFIG = Path("citizen-hub.toml")

_SECTIONS: dict[str, frozenset[str]] = {
    "server": frozenset({"host", "port", "data_dir", "cors_origins"}) | SERVER_KEYS,
    "sources": frozenset(s.value for s in Source),
    "hub": frozenset({"dsn"}),
    "redis": frozenset({"url"}),
    "limits": frozenset(Limits.__dataclass_fields__),
    "auth": frozenset(AuthSettings.__dataclass_fields__),
    "audit": frozenset(AuditSettings.__dataclass_fields__),
    "metrics": METRICS_KEYS,
    "telemetry": TELEMETRY_KEYS,
    "graphql": GRAPHQL_KEYS,
}


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file (if any) and the environment into :class:`Settings`."""
    env = os.environ if environ is None else environ
    if path is None and env.get("CITIZEN_HUB_CONFIG"):
        path = Path(env["CITIZEN_HUB_CONFIG"])
    explicit = path is not None
    path = path or DEFAULT_CONFIG
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(str(path), f"is not valid TOML ({exc})") from None
        except OSError as exc:
            raise SettingsError(str(path), f"cannot be read ({exc.strerror})") from None
    elif explicit:
        raise SettingsError("CITIZEN_HUB_CONFIG", f"{path} does not exist")
    _reject_unknown(data, path)

    server = data.get("server", {})
    sources: dict[Source, str] = {}
    for source in Source:
        dsn = env.get(f"CITIZEN_HUB_{source.name}_DSN") or data.get("sources", {}).get(source.value)
        if dsn:
            sources[source] = check_dsn(f"sources.{source.value}", dsn)
    hub_dsn = env.get("CITIZEN_HUB_HUB_DSN") or data.get("hub", {}).get("dsn")
    limits_raw = data.get("limits", {})
    defaults = Limits()
    limits = Limits(
        **{
            k: check_number(f"limits.{k}", v, type(getattr(defaults, k)))
            for k, v in limits_raw.items()
        }
    )
    return Settings(
        host=check_text(
            "server.host", env.get("CITIZEN_HUB_HOST") or server.get("host", "127.0.0.1")
        ),
        port=check_port(env.get("CITIZEN_HUB_PORT") or server.get("port", 8080)),
        data_dir=Path(
            check_text(
                "server.data_dir",
                env.get("CITIZEN_HUB_DATA_DIR") or server.get("data_dir", ".data"),
            )
        ),
        source_dsns=sources,
        hub_dsn=check_dsn("hub.dsn", hub_dsn) if hub_dsn else None,
        limits=limits,
        redis_url=check_redis_url(
            env.get("CITIZEN_HUB_REDIS_URL") or data.get("redis", {}).get("url")
        ),
        auth=auth_settings(data.get("auth", {}), env),
        audit=_audit(data.get("audit", {}), env),
        cors_origins=check_cors_origins(
            env.get("CITIZEN_HUB_CORS_ORIGINS"), server.get("cors_origins", [])
        ),
        **server_operations(server, env),
        metrics=metrics_settings(data.get("metrics", {}), env),
        telemetry=telemetry_settings(data.get("telemetry", {}), env),
        graphql=graphql_settings(data.get("graphql", {})),
    )


def _audit(raw: dict[str, Any], env: Mapping[str, str]) -> AuditSettings:
    dsn = env.get("CITIZEN_HUB_AUDIT_DSN") or raw.get("dsn")
    path = env.get("CITIZEN_HUB_AUDIT_CHECKPOINT_FILE") or raw.get("checkpoint_file")
    seconds = raw.get("checkpoint_seconds", AuditSettings().checkpoint_seconds)
    return AuditSettings(
        dsn=check_dsn("audit.dsn", dsn) if dsn else None,
        checkpoint_file=(
            Path(check_text("audit.checkpoint_file", path)) if path is not None else None
        ),
        checkpoint_seconds=check_number("audit.checkpoint_seconds", seconds, float),
    )


def _reject_unknown(data: dict[str, Any], path: Path) -> None:
    where = f" in {path}"
    for section, value in data.items():
        check_known("", [section], _SECTIONS, what="section", where=where)
        check_table(
            section,
            value,
            f"must be a [{section}] table{where}",
            known=_SECTIONS[section],
            where=where,
        )
