"""Settings from a TOML file and environment variables.

Precedence: environment over file over defaults. The file is ``citizen-hub.toml``
in the working folder, or the one ``CITIZEN_HUB_CONFIG`` names::

    [server]
    host = "127.0.0.1"
    port = 8080
    data_dir = ".data"          # the embedded PostgreSQL lives in <data_dir>/pg

    [sources]                   # one DSN per product; a missing one uses the embedded server
    siak = "postgresql://hub_reader@db.siak.internal/siak"

    [hub]
    dsn = "postgresql://hub@db.hub.internal/hub"

    [limits]
    source_timeout_ms = 2000    # per source call
    breaker_failures = 5        # consecutive failures that open a source's circuit
    breaker_reset_seconds = 30  # how long it stays open before a probe
    max_citizens = 100          # cap of citizens(niks)

Environment: ``CITIZEN_HUB_<SOURCE>_DSN`` (e.g. ``CITIZEN_HUB_SIAK_DSN``),
``CITIZEN_HUB_HUB_DSN``, ``CITIZEN_HUB_HOST``, ``CITIZEN_HUB_PORT``,
``CITIZEN_HUB_DATA_DIR``.

Every problem is a :class:`SettingsError` whose message is one line naming the
setting and what is wrong with it.
"""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path(".data")
    source_dsns: Mapping[Source, str] = field(default_factory=dict)
    hub_dsn: str | None = None
    limits: Limits = Limits()

    @property
    def needs_embedded(self) -> bool:
        """True when some database has no DSN and the embedded server must supply it."""
        return self.hub_dsn is None or any(s not in self.source_dsns for s in Source)

    def with_dsns(self, sources: Mapping[Source, str], hub: str) -> Settings:
        return replace(self, source_dsns=dict(sources), hub_dsn=hub)


_SECTIONS: dict[str, frozenset[str]] = {
    "server": frozenset({"host", "port", "data_dir"}),
    "sources": frozenset(s.value for s in Source),
    "hub": frozenset({"dsn"}),
    "limits": frozenset(Limits.__dataclass_fields__),
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
    )


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


def redact(dsn: str) -> str:
    """The DSN without its password, for messages and logs."""
    parts = urlsplit(dsn)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return dsn
