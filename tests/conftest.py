"""Shared fixtures: a real PostgreSQL with the eight product databases, seeded once.

By default the tests start the embedded server (pgserver) in a temporary folder.
Set ``CITIZEN_HUB_TEST_PG`` to an admin DSN (e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``)
to use a running server instead. Either way the tests create their own databases,
named ``chtest_<random>_<source>``, and drop exactly those at the end.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from connectors.base import Source
from connectors.seeding import SeedReport, seed_city
from hub.embedded import EmbeddedServer, database_names, ensure_databases
from hub.identity.sync import sync_databases

TEST_CITIZENS = 3000
TEST_SEED = 7


@pytest.fixture(scope="session")
def admin_dsn() -> Iterator[str]:
    """An admin connection string to a real PostgreSQL server."""
    configured = os.environ.get("CITIZEN_HUB_TEST_PG")
    if configured:
        yield configured
        return
    with tempfile.TemporaryDirectory(prefix="chpg-") as folder:
        server = EmbeddedServer(Path(folder) / "pg")
        try:
            yield server.dsn()
        finally:
            server.stop()


def dsn_for(admin_dsn: str, database: str) -> str:
    """The admin DSN pointed at another database on the same server."""
    base, _, query = admin_dsn.partition("?")
    root = base.rsplit("/", 1)[0]
    return f"{root}/{database}" + (f"?{query}" if query else "")


class ScratchDatabases:
    """Databases created for one test session, dropped together at its end."""

    def __init__(self, admin_dsn: str) -> None:
        self.admin_dsn = admin_dsn
        self.created: list[str] = []

    async def create(self, label: str) -> dict[Source | str, str]:
        prefix = f"chtest_{secrets.token_hex(3)}_{label}_"
        names = database_names(prefix)
        self.created += await ensure_databases(self.admin_dsn, list(names.values()))
        return {key: dsn_for(self.admin_dsn, name) for key, name in names.items()}

    async def drop_all(self) -> None:
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            for name in self.created:
                await conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                    name,
                )
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        finally:
            await conn.close()


@pytest.fixture(scope="session")
async def test_databases(admin_dsn: str) -> AsyncIterator[ScratchDatabases]:
    dbs = ScratchDatabases(admin_dsn)
    try:
        yield dbs
    finally:
        await dbs.drop_all()


@pytest.fixture(scope="session")
async def seeded_city(
    test_databases: ScratchDatabases,
) -> tuple[dict[Source | str, str], SeedReport]:
    """The small test city, seeded once: its databases' DSNs and the seed's own report."""
    dsns = await test_databases.create("city")
    report = await seed_city({s: dsns[s] for s in Source}, TEST_CITIZENS, TEST_SEED)
    await sync_databases({s: dsns[s] for s in Source}, dsns["hub"])
    return dsns, report


@pytest.fixture(scope="session")
def city_dsns(seeded_city: tuple[dict[Source | str, str], SeedReport]) -> dict[Source | str, str]:
    """DSNs of eight product databases holding the small test city, and a hub database
    holding its identity crosswalk (synced once, as `citizen-hub identity sync` does)."""
    return seeded_city[0]


@pytest.fixture(scope="session")
def seed_report(seeded_city: tuple[dict[Source | str, str], SeedReport]) -> SeedReport:
    """The report of the seed the ``city_dsns`` databases hold, city included."""
    return seeded_city[1]
