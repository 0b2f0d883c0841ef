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
"""

from __future__ import annotations

import base64
import binascii
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from connectors.base import Source

DEFAULT_CONFIG = Path("citizen-hub.toml")


class SettingsError(Exception):
    """A setting is missing, malformed or unusable. ``str()`` is one line for the operator."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"setting {setting}: {problem}")
        self.setting = setting


@dataclass(frozen=True, slots=True)
class Limits:
    source_timeout_ms: int = 2000
    breaker_failures: int = 5
    breaker_reset_seconds: float = 30.0
    max_citizens: int = 100
    requests_per_minute: int = 600
    distinct_niks_per_hour: int = 1000


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """Another issuer whose access tokens the hub accepts (e.g. the city SSO)."""

    issuer: str
    jwks_url: str
    audience: str | None = None  # None: the hub's auth.audience


@dataclass(frozen=True, slots=True)
class UpstreamOIDC:
    """The city's OpenID provider, where citizens sign in in production (hub.oauth)."""

    issuer: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)  # None: a public client
    nik_claim: str = "nik"
    scope: str = "openid"
    timeout_seconds: float = 5.0


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """The hub's own authorization server and the issuers its resource server trusts."""

    issuer: str = "urn:citizen-hub"
    audience: str = "citizen-hub"
    signing_alg: str = "ES256"
    token_seconds: int = 900
    citizen_token_seconds: int = 3600
    leeway_seconds: int = 30
    jwks_refresh_seconds: float = 60.0
    keys_cache_seconds: float = 300.0
    revocation_cache_seconds: float = 10.0
    issuers: tuple[TrustedIssuer, ...] = ()
    max_token_lifetime_seconds: int = 86400
    key_encryption_key: bytes | None = field(default=None, repr=False)
    # Citizens signing in to apps (hub.oauth): authorization code with PKCE, consent.
    development_sign_in: bool = False
    development_sign_in_in_serve: bool = False  # explicit: let `serve` run it anyway
    authorization_code_seconds: int = 60
    app_token_seconds: int = 600
    refresh_token_seconds: int = 30 * 86400
    consent_days: int = 180
    session_seconds: int = 1800
    one_time_code_seconds: int = 300
    one_time_code_attempts: int = 3
    sign_in_failures_per_nik: int = 5
    sign_in_failures_per_ip: int = 20
    sign_in_window_seconds: int = 900
    upstream: UpstreamOIDC | None = None


@dataclass(frozen=True, slots=True)
class AuditSettings:
    """The disclosure log: its writer's own login and the checkpoints of its chain."""

    dsn: str | None = field(default=None, repr=False)  # None: SET ROLE on the hub's login
    checkpoint_file: Path | None = None  # None: <data_dir>/audit-checkpoints.jsonl
    checkpoint_seconds: float = 300.0


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path(".data")
    source_dsns: Mapping[Source, str] = field(default_factory=dict)
    hub_dsn: str | None = None
    limits: Limits = Limits()
    redis_url: str | None = None
    auth: AuthSettings = AuthSettings()
    audit: AuditSettings = AuditSettings()
    cors_origins: tuple[str, ...] = ()  # browser origins allowed to call the hub (hub.oauth)

    @property
    def needs_embedded(self) -> bool:
        """True when some database has no DSN and the embedded server must supply it."""
        return self.hub_dsn is None or any(s not in self.source_dsns for s in Source)

    def with_dsns(self, sources: Mapping[Source, str], hub: str) -> Settings:
        return replace(self, source_dsns=dict(sources), hub_dsn=hub)


_SECTIONS: dict[str, frozenset[str]] = {
    "server": frozenset({"host", "port", "data_dir", "cors_origins"}),
    "sources": frozenset(s.value for s in Source),
    "hub": frozenset({"dsn"}),
    "redis": frozenset({"url"}),
    "limits": frozenset(Limits.__dataclass_fields__),
    "auth": frozenset(AuthSettings.__dataclass_fields__),
    "audit": frozenset(AuditSettings.__dataclass_fields__),
}
_ISSUER_KEYS = frozenset(TrustedIssuer.__dataclass_fields__)
_UPSTREAM_KEYS = frozenset(UpstreamOIDC.__dataclass_fields__)
SIGNING_ALGS = ("ES256", "RS256")


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
            sources[source] = _dsn(f"sources.{source.value}", dsn)
    hub_dsn = env.get("CITIZEN_HUB_HUB_DSN") or data.get("hub", {}).get("dsn")
    limits_raw = data.get("limits", {})
    defaults = Limits()
    limits = Limits(
        **{k: _number(f"limits.{k}", v, type(getattr(defaults, k))) for k, v in limits_raw.items()}
    )
    return Settings(
        host=_text("server.host", env.get("CITIZEN_HUB_HOST") or server.get("host", "127.0.0.1")),
        port=_port(env.get("CITIZEN_HUB_PORT") or server.get("port", 8080)),
        data_dir=Path(
            _text(
                "server.data_dir",
                env.get("CITIZEN_HUB_DATA_DIR") or server.get("data_dir", ".data"),
            )
        ),
        source_dsns=sources,
        hub_dsn=_dsn("hub.dsn", hub_dsn) if hub_dsn else None,
        limits=limits,
        redis_url=_redis_url(env.get("CITIZEN_HUB_REDIS_URL") or data.get("redis", {}).get("url")),
        auth=_auth(data.get("auth", {}), env),
        audit=_audit(data.get("audit", {}), env),
        cors_origins=_cors_origins(
            env.get("CITIZEN_HUB_CORS_ORIGINS"), server.get("cors_origins", [])
        ),
    )


def _auth(raw: dict[str, Any], env: Mapping[str, str]) -> AuthSettings:
    defaults = AuthSettings()
    values: dict[str, Any] = {}
    for key in ("issuer", "audience"):
        value = env.get(f"CITIZEN_HUB_AUTH_{key.upper()}") or raw.get(key)
        if value is not None:
            values[key] = _text(f"auth.{key}", value)
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
            values[key] = _number(f"auth.{key}", raw[key], type(getattr(defaults, key)))
    longest = values.get("max_token_lifetime_seconds", defaults.max_token_lifetime_seconds)
    for key in ("token_seconds", "citizen_token_seconds"):
        if values.get(key, getattr(defaults, key)) > longest:
            raise SettingsError(
                f"auth.{key}", f"must not exceed auth.max_token_lifetime_seconds ({longest})"
            )
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
        kek = _text("auth.key_encryption_key", raw["key_encryption_key"])
        kek_setting = "auth.key_encryption_key"
    values.update(_sign_in(raw, env))
    if values.get("app_token_seconds", defaults.app_token_seconds) > longest:
        raise SettingsError(
            "auth.app_token_seconds", f"must not exceed auth.max_token_lifetime_seconds ({longest})"
        )
    return replace(
        defaults,
        **values,
        signing_alg=raw.get("signing_alg", defaults.signing_alg),
        issuers=issuers,
        key_encryption_key=_key_encryption_key(kek, kek_setting) if kek else None,
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
            if not isinstance(raw[key], bool):
                raise SettingsError(f"auth.{key}", f"must be true or false, got {raw[key]!r}")
            values[key] = raw[key]
    for key in _SIGN_IN_NUMBERS:
        if key in raw:
            values[key] = _number(f"auth.{key}", raw[key], int)
    if values.get("authorization_code_seconds", 0) > 600:
        raise SettingsError(
            "auth.authorization_code_seconds", "must be at most 600 (RFC 6749 §4.1.2: 10 minutes)"
        )
    if "upstream" in raw:
        values["upstream"] = _upstream(raw["upstream"], env)
    return values


def _upstream(entry: object, env: Mapping[str, str]) -> UpstreamOIDC:
    setting = "auth.upstream"
    if not isinstance(entry, dict):
        raise SettingsError(setting, "must be an [auth.upstream] table")
    for key in entry:
        if key not in _UPSTREAM_KEYS:
            known = ", ".join(sorted(_UPSTREAM_KEYS))
            raise SettingsError(f"{setting}.{key}", f"unknown key (known: {known})")
    for key in ("issuer", "client_id"):
        if key not in entry:
            raise SettingsError(f"{setting}.{key}", "is required")
    issuer = _text(f"{setting}.issuer", entry["issuer"]).rstrip("/")
    parts = urlsplit(issuer)
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise SettingsError(f"{setting}.issuer", "must be an https:// URL (http only on loopback)")
    secret = env.get("CITIZEN_HUB_UPSTREAM_CLIENT_SECRET") or entry.get("client_secret")
    scope = _text(f"{setting}.scope", entry.get("scope", "openid"))
    if "openid" not in scope.split():
        raise SettingsError(f"{setting}.scope", "must include openid")
    return UpstreamOIDC(
        issuer=issuer,
        client_id=_text(f"{setting}.client_id", entry["client_id"]),
        client_secret=_text(f"{setting}.client_secret", secret) if secret else None,
        nik_claim=_text(f"{setting}.nik_claim", entry.get("nik_claim", "nik")),
        scope=scope,
        timeout_seconds=_number(
            f"{setting}.timeout_seconds", entry.get("timeout_seconds", 5.0), float
        ),
    )


def _cors_origins(env_value: str | None, raw: object) -> tuple[str, ...]:
    """Origins (scheme://host[:port], no path) allowed to call the hub from a browser."""
    if env_value is not None:
        raw = [o.strip() for o in env_value.split(",") if o.strip()]
    if not isinstance(raw, list):
        raise SettingsError("server.cors_origins", "must be a list of origins")
    origins: list[str] = []
    for value in raw:
        origin = _text("server.cors_origins", value).rstrip("/")
        parts = urlsplit(origin)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path
            or parts.query
            or parts.fragment
            or origin == "*"
        ):
            raise SettingsError(
                "server.cors_origins",
                f"{origin!r} is not an origin: write scheme://host[:port], e.g."
                " https://app.tangerangkota.go.id",
            )
        origins.append(origin)
    return tuple(dict.fromkeys(origins))


def _audit(raw: dict[str, Any], env: Mapping[str, str]) -> AuditSettings:
    dsn = env.get("CITIZEN_HUB_AUDIT_DSN") or raw.get("dsn")
    path = env.get("CITIZEN_HUB_AUDIT_CHECKPOINT_FILE") or raw.get("checkpoint_file")
    seconds = raw.get("checkpoint_seconds", AuditSettings().checkpoint_seconds)
    return AuditSettings(
        dsn=_dsn("audit.dsn", dsn) if dsn else None,
        checkpoint_file=Path(_text("audit.checkpoint_file", path)) if path is not None else None,
        checkpoint_seconds=_number("audit.checkpoint_seconds", seconds, float),
    )


def _issuer(index: int, entry: object) -> TrustedIssuer:
    setting = f"auth.issuers[{index}]"
    if not isinstance(entry, dict):
        raise SettingsError(setting, "must be an [[auth.issuers]] table")
    for key in entry:
        if key not in _ISSUER_KEYS:
            known = ", ".join(sorted(_ISSUER_KEYS))
            raise SettingsError(f"{setting}.{key}", f"unknown key (known: {known})")
    for key in ("issuer", "jwks_url"):
        if key not in entry:
            raise SettingsError(f"{setting}.{key}", "is required")
    jwks_url = _text(f"{setting}.jwks_url", entry["jwks_url"])
    parts = urlsplit(jwks_url)
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise SettingsError(
            f"{setting}.jwks_url", "must be an https:// URL (http only on loopback)"
        )
    audience = entry.get("audience")
    return TrustedIssuer(
        issuer=_text(f"{setting}.issuer", entry["issuer"]),
        jwks_url=jwks_url,
        audience=_text(f"{setting}.audience", audience) if audience is not None else None,
    )


def _key_encryption_key(text: str, setting: str = "CITIZEN_HUB_KEY_ENCRYPTION_KEY") -> bytes:
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise SettingsError(
            setting,
            "must be 32 random bytes in base64url"
            ' (python -c "import secrets; print(secrets.token_urlsafe(32))")',
        )
    return key


def _reject_unknown(data: dict[str, Any], path: Path) -> None:
    for section, value in data.items():
        if section not in _SECTIONS:
            known = ", ".join(sorted(_SECTIONS))
            raise SettingsError(section, f"unknown section in {path} (known: {known})")
        if not isinstance(value, dict):
            raise SettingsError(section, f"must be a [{section}] table in {path}")
        for key in value:
            if key not in _SECTIONS[section]:
                known = ", ".join(sorted(_SECTIONS[section]))
                raise SettingsError(f"{section}.{key}", f"unknown key in {path} (known: {known})")


def _text(setting: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise SettingsError(setting, f"must be a non-empty string, got {value!r}")
    return value


def _port(value: object) -> int:
    try:
        port = int(str(value))
    except ValueError:
        raise SettingsError("server.port", f"must be a number, got {value!r}") from None
    if not 0 <= port <= 65535:
        raise SettingsError("server.port", f"must be between 0 and 65535, got {port}")
    return port


def _number(setting: str, value: object, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingsError(setting, f"must be a number, got {value!r}")
    if value <= 0:
        raise SettingsError(setting, f"must be positive, got {value}")
    return kind(value)


def _dsn(setting: str, value: object) -> str:
    text = _text(setting, value)
    parts = urlsplit(text)
    if parts.scheme not in ("postgresql", "postgres"):
        raise SettingsError(
            setting, "must be a postgresql:// URL (e.g. postgresql://user@host:5432/dbname)"
        )
    return text


def _redis_url(value: object) -> str | None:
    if value is None or value == "":
        return None
    text = _text("redis.url", value)
    if urlsplit(text).scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(
            "redis.url",
            "must be a redis://, rediss:// or unix:// URL (e.g. redis://127.0.0.1:6379/0)",
        )
    return text


def redact(dsn: str) -> str:
    """The DSN without its password, for messages and logs."""
    parts = urlsplit(dsn)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return dsn
