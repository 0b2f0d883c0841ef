"""Where the databases are: configured DSNs, or the embedded server for the missing ones."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

import asyncpg

from connectors.base import Source
from hub.audit.pool import APP_ROLE
from hub.embedded import HUB_DATABASE, EmbeddedServer, ensure_databases, ensure_login_role
from hub.settings import Settings, SettingsError, redact


@dataclass(slots=True)
class Databases:
    """Settings with every DSN filled in, and the embedded server if one was started."""

    settings: Settings
    embedded: EmbeddedServer | None = None

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()


async def resolve(settings: Settings, *, keep_embedded: bool = False) -> Databases:
    """Fill the missing DSNs from the embedded server (started on demand), then check them all."""
    embedded: EmbeddedServer | None = None
    if settings.needs_embedded:
        embedded = await asyncio.to_thread(
            EmbeddedServer, settings.data_dir / "pg", keep_running=keep_embedded
        )
        missing = [s.value for s in Source if s not in settings.source_dsns]
        if settings.hub_dsn is None:
            missing.append(HUB_DATABASE)
        await ensure_databases(embedded.dsn(), missing)
        sources = {s: settings.source_dsns.get(s) or embedded.dsn(s.value) for s in Source}
        if settings.hub_dsn is None and settings.audit.dsn is None:
            # The disclosure log's writer logs in as its own role (hub.audit.pool).
            await ensure_login_role(embedded.dsn(), APP_ROLE)
            audit = replace(settings.audit, dsn=embedded.dsn(HUB_DATABASE, user=APP_ROLE))
            settings = replace(settings, audit=audit)
        settings = settings.with_dsns(sources, settings.hub_dsn or embedded.dsn(HUB_DATABASE))
    await check_reachable(settings)
    return Databases(settings, embedded)


@asynccontextmanager
async def hub_dsn(settings: Settings) -> AsyncIterator[str]:
    """The hub database's DSN for an operator command: the configured one, or the
    embedded server's, started for the block and stopped after it."""
    if settings.hub_dsn is not None:
        yield settings.hub_dsn
        return
    databases = await resolve(settings)
    try:
        assert databases.settings.hub_dsn is not None
        yield databases.settings.hub_dsn
    finally:
        databases.stop()


async def check_reachable(settings: Settings, connect_timeout: float = 5.0) -> None:
    """Connect once to every configured database; the first failure is a SettingsError."""
    targets: list[tuple[str, str]] = [
        (f"sources.{s.value}", settings.source_dsns[s]) for s in Source
    ]
    assert settings.hub_dsn is not None
    targets.append(("hub.dsn", settings.hub_dsn))
    if settings.audit.dsn is not None:
        targets.append(("audit.dsn", settings.audit.dsn))
    results = await asyncio.gather(
        *(_probe(dsn, connect_timeout) for _, dsn in targets), return_exceptions=False
    )
    for (setting, dsn), problem in zip(targets, results, strict=True):
        if problem:
            raise SettingsError(setting, f"cannot connect to {redact(dsn)} ({problem})")


async def _probe(dsn: str, connect_timeout: float) -> str | None:
    try:
        conn = await asyncpg.connect(dsn, timeout=connect_timeout)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        return _reason(exc)
    await conn.close()
    return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text
