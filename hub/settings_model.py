"""The shape of the hub's settings: the frozen dataclasses :func:`hub.settings.load_settings`
fills, their allowed signing algorithms, and :class:`SettingsError`, which every problem
with a setting raises.

Everything here is importable from :mod:`hub.settings` too; reading the TOML file and the
environment, and checking each value, live there and in :mod:`hub.settings_values`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from connectors.base import Source
from connectors.pools import CONNECTIONS
from schema.execution.trusted import DocumentRules

SIGNING_ALGS = ("ES256", "RS256")


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
    # Checked before any SQL runs (schema.execution.cost, docs/access.md).
    max_aliases: int = 30
    max_cost: int = 5000
    cost_per_minute: int = 50_000
    family_size: int = 10
    max_body_bytes: int = 262_144
    max_variables_bytes: int = 65_536
    # Websockets (hub.websocket): open ones per client address, and how long one with
    # no operation running stays open.
    websockets_per_address: int = 20
    websocket_idle_seconds: float = 60.0


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
class MetricsSettings:
    """Who may read ``/metrics`` (hub.metrics): both conditions hold when both are set."""

    token: str | None = field(default=None, repr=False)  # Authorization: Bearer <token>
    networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")  # CIDRs the reader must be in


@dataclass(frozen=True, slots=True)
class TelemetrySettings:
    """OpenTelemetry traces (hub.telemetry): off unless an OTLP endpoint is set."""

    otlp_endpoint: str | None = None  # e.g. http://otel-collector:4318/v1/traces
    service_name: str = "citizen-hub"
    sample_ratio: float = 1.0


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
    production: bool = False  # refuse to start with a development choice (hub.production)
    shutdown_seconds: float = 30.0  # SIGTERM: how long requests in flight may finish
    log_format: str = "json"  # or "text": one line per record either way (hub.logs)
    # Proxies (CIDRs) whose X-Forwarded-For names the client (hub.client_address); none.
    trusted_proxies: tuple[str, ...] = ()
    # Connections each database gets from the read pools, shared by the worker processes
    # (connectors.pools): nine databases, so 4 is 36 of a server's max_connections.
    database_connections: int = CONNECTIONS
    metrics: MetricsSettings = MetricsSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    # introspection, trusted documents ([graphql]); a frozen dataclass defined in another module,
    # which ruff cannot see is immutable
    graphql: DocumentRules = field(default_factory=DocumentRules)

    @property
    def needs_embedded(self) -> bool:
        """True when some database has no DSN and the embedded server must supply it."""
        return self.hub_dsn is None or any(s not in self.source_dsns for s in Source)

    def with_dsns(self, sources: Mapping[Source, str], hub: str) -> Settings:
        return replace(self, source_dsns=dict(sources), hub_dsn=hub)
