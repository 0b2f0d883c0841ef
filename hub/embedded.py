"""The embedded PostgreSQL the demo and the tests use when no DSN is configured.

``pgserver`` ships PostgreSQL 16 in a wheel; it listens on a Unix socket inside
the data folder only, so several checkouts on one machine never clash on a port.
The socket trusts every local login, so a role needs LOGIN but no password: the
disclosure log's writer logs in as ``citizen_hub_app`` itself (:func:`ensure_login_role`).

Each process that uses the server holds a handle on it (pgserver lists their pids in
``.handle_pids.json``); the last one to let go stops it, unless it was asked to keep it
running (``demo --keep-db``). :func:`stop_server` stops one left running
(``citizen-hub db stop``).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
import warnings
from pathlib import Path
from urllib.parse import quote

import asyncpg
import psutil

from connectors.base import Source

HUB_DATABASE = "hub"
HANDLES_FILE = ".handle_pids.json"  # pgserver's list of the processes holding the server

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
        """Let go of the server; it stops if no other live process holds it (and it was
        not started with ``keep_running``). Holders that died without letting go (killed
        with SIGKILL) are forgotten first, so they do not keep it running for ever."""
        with type(self._server)._lock:
            forget_dead_holders(Path(self._server.pgdata))
        self._server.cleanup()


def postmaster_pid(pgdata: Path) -> int | None:
    """The pid of the PostgreSQL server running on ``pgdata``, or None if none is."""
    try:
        first = (pgdata / "postmaster.pid").read_text().splitlines()[0]
        pid = int(first.strip())
    except (OSError, IndexError, ValueError):
        return None
    try:
        process = psutil.Process(pid)
        running = process.is_running() and process.status() != psutil.STATUS_ZOMBIE
        return pid if running and process.name().startswith("postgres") else None
    except psutil.Error:
        return None


def live_holders(pgdata: Path) -> list[int]:
    """The live processes (other than this one) that hold a handle on the server."""
    return [pid for pid in _handles(pgdata) if pid != os.getpid() and _alive(pid)]


def forget_dead_holders(pgdata: Path) -> None:
    """Drop the pids of processes that no longer exist from pgserver's list of holders."""
    pids = _handles(pgdata)
    alive = [pid for pid in pids if pid == os.getpid() or _alive(pid)]
    if alive != pids:
        (pgdata / HANDLES_FILE).write_text(json.dumps(alive))


def stop_server(pgdata: Path, timeout: float = 30.0) -> int | None:
    """Stop the server running on ``pgdata`` (fast shutdown: sessions are ended, the
    data is written out); returns its pid, or None if none was running."""
    pid = postmaster_pid(pgdata)
    if pid is None:
        return None
    os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast shutdown", as pg_ctl stop -m fast
    deadline = time.monotonic() + timeout
    while postmaster_pid(pgdata) == pid:
        if time.monotonic() > deadline:
            raise TimeoutError(f"PostgreSQL (pid {pid}) did not stop within {timeout:.0f} s")
        time.sleep(0.1)
    if (pgdata / HANDLES_FILE).exists():
        (pgdata / HANDLES_FILE).write_text("[]")
    return pid


def _handles(pgdata: Path) -> list[int]:
    try:
        pids = json.loads((pgdata / HANDLES_FILE).read_text())
    except (OSError, ValueError):
        return []
    return [p for p in pids if isinstance(p, int)] if isinstance(pids, list) else []


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


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
