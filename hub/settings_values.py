"""Checks of single setting values, each raising a one-line :class:`SettingsError` that
names the setting: flags, strings, numbers, the port, DSNs and URLs, CORS origins, the
key-encryption key, and TOML tables with their known and required keys. Also
:func:`redact`, a DSN without its password (importable from :mod:`hub.settings` too).

:mod:`hub.settings` reads the file and the environment and applies these checks.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Iterable
from typing import Any
from urllib.parse import urlsplit

from hub.settings_model import SettingsError

_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def check_known(
    prefix: str, keys: Iterable[str], known: Collection[str], *, what: str = "key", where: str = ""
) -> None:
    """Refuse the first of ``keys`` that is not ``known``: setting ``<prefix><key>``."""
    for key in keys:
        if key not in known:
            listed = ", ".join(sorted(known))
            raise SettingsError(f"{prefix}{key}", f"unknown {what}{where} (known: {listed})")


def check_table(
    setting: str,
    value: object,
    not_a_table: str,
    *,
    known: Collection[str],
    required: Iterable[str] = (),
    where: str = "",
) -> dict[str, Any]:
    """``value`` as a TOML table of only ``known`` keys and every ``required`` one;
    ``not_a_table`` is the problem told when it is no table at all."""
    if not isinstance(value, dict):
        raise SettingsError(setting, not_a_table)
    check_known(f"{setting}.", value, known, where=where)
    for key in required:
        if key not in value:
            raise SettingsError(f"{setting}.{key}", "is required")
    return value


def check_flag(setting: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(setting, f"must be true or false, got {value!r}")
    return value


def check_text(setting: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise SettingsError(setting, f"must be a non-empty string, got {value!r}")
    return value


def check_port(value: object) -> int:
    try:
        port = int(str(value))
    except ValueError:
        raise SettingsError("server.port", f"must be a number, got {value!r}") from None
    if not 0 <= port <= 65535:
        raise SettingsError("server.port", f"must be between 0 and 65535, got {port}")
    return port


def check_number(setting: str, value: object, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingsError(setting, f"must be a number, got {value!r}")
    if value <= 0:
        raise SettingsError(setting, f"must be positive, got {value}")
    return kind(value)


def check_https(setting: str, url: str) -> None:
    """An https:// URL, or http:// to a loopback host."""
    parts = urlsplit(url)
    loopback = parts.hostname in _LOOPBACK
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise SettingsError(setting, "must be an https:// URL (http only on loopback)")


def check_dsn(setting: str, value: object) -> str:
    text = check_text(setting, value)
    parts = urlsplit(text)
    if parts.scheme not in ("postgresql", "postgres"):
        raise SettingsError(
            setting, "must be a postgresql:// URL (e.g. postgresql://user@host:5432/dbname)"
        )
    return text


def check_redis_url(value: object) -> str | None:
    if value is None or value == "":
        return None
    text = check_text("redis.url", value)
    if urlsplit(text).scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(
            "redis.url",
            "must be a redis://, rediss:// or unix:// URL (e.g. redis://127.0.0.1:6379/0)",
        )
    return text


def check_cors_origins(env_value: str | None, raw: object) -> tuple[str, ...]:
    """Origins (scheme://host[:port], no path) allowed to call the hub from a browser."""
    if env_value is not None:
        raw = [o.strip() for o in env_value.split(",") if o.strip()]
    if not isinstance(raw, list):
        raise SettingsError("server.cors_origins", "must be a list of origins")
    origins: list[str] = []
    for value in raw:
        origin = check_text("server.cors_origins", value).rstrip("/")
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


def check_key_encryption_key(text: str, setting: str = "CITIZEN_HUB_KEY_ENCRYPTION_KEY") -> bytes:
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


def redact(dsn: str) -> str:
    """The DSN without its password, for messages and logs."""
    parts = urlsplit(dsn)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return dsn
