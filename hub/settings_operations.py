"""The settings an operations team turns: production mode, the shutdown deadline, the log
format, who may read ``/metrics``, and where traces go.

::

    [server]
    production = true           # refuse development choices at start (hub.production)
    shutdown_seconds = 30       # SIGTERM: requests in flight get this long to finish
    log_format = "json"         # or "text"
    trusted_proxies = ["10.20.40.5/32"]  # proxies whose X-Forwarded-For is believed (none)
    database_connections = 4    # per database, shared by the serve --workers processes

    [metrics]                   # GET /metrics (hub.metrics)
    token = "…"                 # or CITIZEN_HUB_METRICS_TOKEN: Authorization: Bearer <token>
    networks = ["10.20.0.0/16"] # the reader's address must be in one (default: loopback)

    [telemetry]                 # OpenTelemetry traces, off unless an endpoint is set
    otlp_endpoint = "http://otel-collector:4318/v1/traces"   # CITIZEN_HUB_OTLP_ENDPOINT
    service_name = "citizen-hub"
    sample_ratio = 1.0
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from connectors.pools import CONNECTIONS
from hub.settings_model import MetricsSettings, SettingsError, TelemetrySettings
from hub.settings_values import check_flag, check_number, check_text

SERVER_KEYS = frozenset(
    {"production", "shutdown_seconds", "log_format", "trusted_proxies", "database_connections"}
)
MAX_DATABASE_CONNECTIONS = 64
METRICS_KEYS = frozenset(MetricsSettings.__dataclass_fields__)
TELEMETRY_KEYS = frozenset(TelemetrySettings.__dataclass_fields__)
LOG_FORMATS = ("json", "text")
MIN_METRICS_TOKEN = 16


def server_operations(server: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """``production``, ``shutdown_seconds``, ``log_format``, ``trusted_proxies`` and
    ``database_connections`` of ``[server]``."""
    production = server.get("production", False)
    if env.get("CITIZEN_HUB_PRODUCTION"):
        production = env["CITIZEN_HUB_PRODUCTION"].lower() in ("1", "true", "yes")
    log_format = env.get("CITIZEN_HUB_LOG_FORMAT") or server.get("log_format", "json")
    if log_format not in LOG_FORMATS:
        raise SettingsError("server.log_format", f"must be json or text, got {log_format!r}")
    return {
        "production": check_flag("server.production", production),
        "shutdown_seconds": check_number(
            "server.shutdown_seconds", server.get("shutdown_seconds", 30.0), float
        ),
        "log_format": log_format,
        "trusted_proxies": _networks("server.trusted_proxies", server.get("trusted_proxies", ())),
        "database_connections": _connections(server.get("database_connections", CONNECTIONS)),
    }


def _connections(value: object) -> int:
    """How many connections each database may get from the hub's read pools, all worker
    processes together (connectors.pools): a whole number from 1 to 64."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError("server.database_connections", f"must be a whole number, got {value!r}")
    if not 1 <= value <= MAX_DATABASE_CONNECTIONS:
        raise SettingsError(
            "server.database_connections",
            f"must be from 1 to {MAX_DATABASE_CONNECTIONS}, got {value}",
        )
    return value


def metrics_settings(raw: Mapping[str, Any], env: Mapping[str, str]) -> MetricsSettings:
    token = env.get("CITIZEN_HUB_METRICS_TOKEN") or raw.get("token")
    if token is not None:
        token = check_text("metrics.token", token)
        if len(token) < MIN_METRICS_TOKEN:
            raise SettingsError(
                "metrics.token",
                f"must be at least {MIN_METRICS_TOKEN} characters (e.g. python -c"
                ' "import secrets; print(secrets.token_urlsafe(32))")',
            )
    networks = _networks("metrics.networks", raw.get("networks", MetricsSettings().networks))
    return MetricsSettings(token=token, networks=networks)


def _networks(setting: str, networks: object) -> tuple[str, ...]:
    """A list of CIDRs, each one checked."""
    if not isinstance(networks, list | tuple) or not all(isinstance(n, str) for n in networks):
        raise SettingsError(setting, f"must be a list of CIDRs, got {networks!r}")
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise SettingsError(
                setting, f"{network!r} is not a network such as 10.20.0.0/16"
            ) from None
    return tuple(networks)


def telemetry_settings(raw: Mapping[str, Any], env: Mapping[str, str]) -> TelemetrySettings:
    endpoint = env.get("CITIZEN_HUB_OTLP_ENDPOINT") or raw.get("otlp_endpoint")
    if endpoint is not None:
        endpoint = check_text("telemetry.otlp_endpoint", endpoint)
        if not endpoint.startswith(("http://", "https://")):
            raise SettingsError(
                "telemetry.otlp_endpoint", f"must be an http(s):// URL, got {endpoint!r}"
            )
    ratio = raw.get("sample_ratio", 1.0)
    if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 < ratio <= 1:
        raise SettingsError(
            "telemetry.sample_ratio", f"must be above 0 and at most 1, got {ratio!r}"
        )
    return TelemetrySettings(
        otlp_endpoint=endpoint,
        service_name=check_text("telemetry.service_name", raw.get("service_name", "citizen-hub")),
        sample_ratio=float(ratio),
    )
