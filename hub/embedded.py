"""The embedded PostgreSQL the demo and the tests use when no DSN is configured.

``pgserver`` ships PostgreSQL 16 in a wheel; it listens on a Unix socket inside
the data folder only, so several checkouts on one machine never clash on a port.
The socket trusts every local login, so a role needs LOGIN but no password: the
disclosure log's writer logs in as ``citizen_hub_app`` itself (:func:`ensure_login_role`).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from urllib.parse import quote

import asyncpg

from connectors.base import Source

HUB_DATABASE = "hub"

log = logging.getLogger(__name__)


class EmbeddedServer:
    """A running embedded server: ``dsn(database)`` gives a connection string."""

    def __init__(self, data_dir: Path, *, keep_running: bool = False) -> None:
        with warnings.catch_warnings():
            # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; harmless here.
            warnings.simplefilter("ignore")
            from pgserver import get_server  # type: ignore[attr-defined]

            data_dir.mkdir(parents=True, exist_ok=True)
            self._server = get_server(
                data_dir.resolve(), cleanup_mode=None if keep_running else "stop"
            )
        info = self._server.get_postmaster_info()
        self.socket_dir = str(info.socket_dir)
        self.port = int(info.port) if info.port else 5432

    def dsn(self, database: str = "postgres", user: str = "postgres") -> str:
        return (
            f"postgresql://{quote(user)}@/{quote(database)}"
            f"?host={quote(self.socket_dir)}&port={self.port}"
        )

    def stop(self) -> None:
        self._server.cleanup()


async def ensure_databases(admin_dsn: str, names: list[str]) -> list[str]:
    """Create the databases that do not exist yet; returns the ones it created."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        created = [n for n in names if n not in existing]
        for name in created:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return created


async def ensure_login_role(admin_dsn: str, role: str) -> None:
    """Create ``role`` with LOGIN (and no other right), or give an existing one LOGIN.

    The migrations create the disclosure log's role without LOGIN and grant it what it
    may do; creating it first with LOGIN is the same role, so they leave it be.
    """
    conn = await asyncpg.connect(admin_dsn)
    try:
        can_login = await conn.fetchval("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", role)
        if can_login is None:
            try:
                await conn.execute(f'CREATE ROLE "{role}" LOGIN')
            except (asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
                can_login = False  # created meanwhile by another start
        if can_login is False:
            await conn.execute(f'ALTER ROLE "{role}" LOGIN')
    finally:
        await conn.close()


def database_names(prefix: str = "") -> dict[Source | str, str]:
    """The eight product databases and the hub's own, optionally prefixed (tests)."""
    names: dict[Source | str, str] = {s: prefix + s.value for s in Source}
    names[HUB_DATABASE] = prefix + HUB_DATABASE
    return names
