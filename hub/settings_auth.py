"""The ``[auth]`` section of the settings: the hub's own issuer and token lifetimes,
the key-encryption key, citizens' sign-in (``[auth.upstream]``) and the other trusted
issuers (``[[auth.issuers]]``), read from the TOML table and the environment and checked.

:func:`hub.settings.load_settings` calls :func:`auth_settings`; the file format is
described there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from hub.settings_model import (
    SIGNING_ALGS,
    AuthSettings,
    SettingsError,
    TrustedIssuer,
    UpstreamOIDC,
)
from hub.settings_values import (
    check_flag,
    check_https,
    check_key_encryption_key,
    check_number,
    check_table,
    check_text,
)

_ISSUER_KEYS = frozenset(TrustedIssuer.__dataclass_fields__)
_UPSTREAM_KEYS = frozenset(UpstreamOIDC.__dataclass_fields__)


def auth_settings(raw: dict[str, Any], env: Mapping[str, str]) -> AuthSettings:
    """The ``[auth]`` table and its environment variables, checked."""
    defaults = AuthSettings()
    values: dict[str, Any] = {}
    for key in ("issuer", "audience"):
        value = env.get(f"CITIZEN_HUB_AUTH_{key.upper()}") or raw.get(key)
        if value is not None:
            values[key] = check_text(f"auth.{key}", value)
    if "signing_alg" in raw and raw["signing_alg"] not in SIGNING_ALGS:
        raise SettingsError("auth.signing_alg", f"must be one of {', '.join(SIGNING_ALGS)}")
    for key in (
        "token_seconds",
        "citizen_token_seconds",
        "jwks_refresh_seconds",
        "keys_cache_seconds",
        "revocation_cache_seconds",
        "max_token_lifetime_seconds",
    ):
        if key in raw:
            values[key] = check_number(f"auth.{key}", raw[key], type(getattr(defaults, key)))
    longest = values.get("max_token_lifetime_seconds", defaults.max_token_lifetime_seconds)
    _within_lifetime(values, ("token_seconds", "citizen_token_seconds"), longest)
    if "leeway_seconds" in raw:
        leeway = raw["leeway_seconds"]
        if isinstance(leeway, bool) or not isinstance(leeway, int) or not 0 <= leeway <= 300:
            raise SettingsError("auth.leeway_seconds", f"must be 0 to 300 seconds, got {leeway!r}")
        values["leeway_seconds"] = leeway
    issuers = tuple(_issuer(i, entry) for i, entry in enumerate(raw.get("issuers", [])))
    seen = {values.get("issuer", defaults.issuer)}
    for trusted in issuers:
        if trusted.issuer in seen:
            raise SettingsError("auth.issuers", f"issuer {trusted.issuer} is listed twice")
        seen.add(trusted.issuer)
    kek = env.get("CITIZEN_HUB_KEY_ENCRYPTION_KEY")
    kek_setting = "CITIZEN_HUB_KEY_ENCRYPTION_KEY"
    if not kek and raw.get("key_encryption_key") is not None:
        kek = check_text("auth.key_encryption_key", raw["key_encryption_key"])
        kek_setting = "auth.key_encryption_key"
    values.update(_sign_in(raw, env))
    _within_lifetime(values, ("app_token_seconds",), longest)
    return replace(
        defaults,
        **values,
        signing_alg=raw.get("signing_alg", defaults.signing_alg),
        issuers=issuers,
        key_encryption_key=check_key_encryption_key(kek, kek_setting) if kek else None,
    )


def _within_lifetime(values: dict[str, Any], keys: tuple[str, ...], longest: int) -> None:
    """Token lifetimes (set, else their default) no longer than the longest accepted."""
    defaults = AuthSettings()
    for key in keys:
        if values.get(key, getattr(defaults, key)) > longest:
            raise SettingsError(
                f"auth.{key}", f"must not exceed auth.max_token_lifetime_seconds ({longest})"
            )


_SIGN_IN_FLAGS = ("development_sign_in", "development_sign_in_in_serve")
_SIGN_IN_NUMBERS = (
    "authorization_code_seconds",
    "app_token_seconds",
    "refresh_token_seconds",
    "consent_days",
    "session_seconds",
    "one_time_code_seconds",
    "one_time_code_attempts",
    "sign_in_failures_per_nik",
    "sign_in_failures_per_ip",
    "sign_in_window_seconds",
)


def _sign_in(raw: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """The [auth] settings of citizens signing in to apps (hub.oauth)."""
    values: dict[str, Any] = {}
    for key in _SIGN_IN_FLAGS:
        if key in raw:
            values[key] = check_flag(f"auth.{key}", raw[key])
    for key in _SIGN_IN_NUMBERS:
        if key in raw:
            values[key] = check_number(f"auth.{key}", raw[key], int)
    if values.get("authorization_code_seconds", 0) > 600:
        raise SettingsError(
            "auth.authorization_code_seconds", "must be at most 600 (RFC 6749 §4.1.2: 10 minutes)"
        )
    if "upstream" in raw:
        values["upstream"] = _upstream(raw["upstream"], env)
    return values


def _upstream(raw: object, env: Mapping[str, str]) -> UpstreamOIDC:
    setting = "auth.upstream"
    entry = check_table(
        setting,
        raw,
        "must be an [auth.upstream] table",
        known=_UPSTREAM_KEYS,
        required=("issuer", "client_id"),
    )
    issuer = check_text(f"{setting}.issuer", entry["issuer"]).rstrip("/")
    check_https(f"{setting}.issuer", issuer)
    secret = env.get("CITIZEN_HUB_UPSTREAM_CLIENT_SECRET") or entry.get("client_secret")
    scope = check_text(f"{setting}.scope", entry.get("scope", "openid"))
    if "openid" not in scope.split():
        raise SettingsError(f"{setting}.scope", "must include openid")
    return UpstreamOIDC(
        issuer=issuer,
        client_id=check_text(f"{setting}.client_id", entry["client_id"]),
        client_secret=check_text(f"{setting}.client_secret", secret) if secret else None,
        nik_claim=check_text(f"{setting}.nik_claim", entry.get("nik_claim", "nik")),
        scope=scope,
        timeout_seconds=check_number(
            f"{setting}.timeout_seconds", entry.get("timeout_seconds", 5.0), float
        ),
    )


def _issuer(index: int, raw: object) -> TrustedIssuer:
    setting = f"auth.issuers[{index}]"
    entry = check_table(
        setting,
        raw,
        "must be an [[auth.issuers]] table",
        known=_ISSUER_KEYS,
        required=("issuer", "jwks_url"),
    )
    jwks_url = check_text(f"{setting}.jwks_url", entry["jwks_url"])
    check_https(f"{setting}.jwks_url", jwks_url)
    audience = entry.get("audience")
    return TrustedIssuer(
        issuer=check_text(f"{setting}.issuer", entry["issuer"]),
        jwks_url=jwks_url,
        audience=check_text(f"{setting}.audience", audience) if audience is not None else None,
    )
