"""The disclosure log's fixtures: a hub database of each test module's own, with its
signing key; a superuser on an empty log; the hub's audit pool; and, for the tests
against forgery (test_forgery.py, test_checkpoints.py), the writer's own login, a pool
logged in as it and a checkpoint file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from hub.audit import APP_ROLE, FileSink, HubPool, create_audit_pool
from hub.auth.tokens import signing_keys
from hub.embedded import ensure_login_role
from hub.migrate import migrate_dsn
from tests.conftest import ScratchDatabases
from tests.integration.audit.support import AUTH, as_user, tamper


@pytest.fixture(scope="module")
async def hub_dsn(test_databases: ScratchDatabases, request: pytest.FixtureRequest) -> str:
    """A migrated hub database with its signing key, as a serving hub leaves it."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    dsn = (await test_databases.create(f"audit_{module}"))["hub"]
    await migrate_dsn(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await signing_keys(AUTH).ensure(conn)
    finally:
        await conn.close()
    return dsn


# The test server trusts local logins (the embedded one does); elsewhere the role's
# login may need a password, and the tests that log in as it are skipped.
@pytest.fixture(scope="module")
async def app_dsn(hub_dsn: str, test_databases: ScratchDatabases) -> str:
    """The writer's own login: citizen_hub_app itself, with LOGIN."""
    await ensure_login_role(test_databases.admin_dsn, APP_ROLE)
    dsn = as_user(hub_dsn, APP_ROLE)
    try:
        conn = await asyncpg.connect(dsn)
    except (asyncpg.PostgresError, OSError) as exc:
        pytest.skip(f"cannot log in as {APP_ROLE} on the test server ({type(exc).__name__})")
    await conn.close()
    return dsn


@pytest.fixture
async def owner(hub_dsn: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    """A superuser connection on an empty log (each test starts a new chain)."""
    conn = await asyncpg.connect(hub_dsn)
    await tamper(conn, "TRUNCATE disclosures RESTART IDENTITY")
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def pool(hub_dsn: str, owner: asyncpg.Connection[Any]) -> AsyncIterator[HubPool]:
    """The hub's audit pool without an audit DSN (it sets the writer's role itself)."""
    pool = await create_audit_pool(hub_dsn, min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
async def app_pool(
    app_dsn: str, hub_dsn: str, owner: asyncpg.Connection[Any]
) -> AsyncIterator[HubPool]:
    """The writer's pool logged in as its own role."""
    pool = await create_audit_pool(hub_dsn, audit_dsn=app_dsn, min_size=1, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def sink(tmp_path: Path) -> FileSink:
    return FileSink(tmp_path / "checkpoints" / "audit-checkpoints.jsonl")
