"""What the connector tests share: the test city, its product databases, the register."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence, Set
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TypeVar

import asyncpg
import pytest

from connectors.base import Source, SourceDB, Store, WriteRefused
from connectors.city import City
from connectors.registry import CONNECTORS
from connectors.seeding import MARKER, SeedReport, SourceReport, load_source
from hub.embedded import ensure_databases
from hub.migrate import migrate_dsn
from tests.conftest import ScratchDatabases, dsn_for

E = TypeVar("E", bound=WriteRefused)


@pytest.fixture(scope="session")
def city(seed_report: SeedReport) -> City:
    """The synthetic city the product databases were seeded from."""
    assert seed_report.city is not None
    return seed_report.city


@pytest.fixture(scope="session")
async def source_dbs(city_dsns: dict[Source | str, str]) -> AsyncIterator[dict[Source, SourceDB]]:
    """A statement-counting database for each product of the test city.

    Shared by every module: tests compare ``statements`` before and after their
    own calls, never with zero.
    """
    async with AsyncExitStack() as stack:
        dbs: dict[Source, SourceDB] = {}
        for source in Source:
            pool = asyncpg.create_pool(city_dsns[source], min_size=1, max_size=2)
            dbs[source] = SourceDB(source, await stack.enter_async_context(pool))
        yield dbs


async def _scratch_database(test_databases: ScratchDatabases, admin_dsn: str, label: str) -> str:
    """A new empty database, dropped with the session's others."""
    name = f"chtest_{secrets.token_hex(3)}_{label}"
    test_databases.created += await ensure_databases(admin_dsn, [name])
    return dsn_for(admin_dsn, name)


@asynccontextmanager
async def seeded_product(
    test_databases: ScratchDatabases, admin_dsn: str, city: City, source: Source, label: str
) -> AsyncIterator[SourceDB]:
    """A database of its own holding the test city's rows of ``source``, for tests that
    write: the shared one stays as seeded for the read tests."""
    dsn = await _scratch_database(test_databases, admin_dsn, label)
    await load_source(dsn, source, CONNECTORS[source].seeder(city, {}), f"{MARKER} {label}")
    async with asyncpg.create_pool(dsn, min_size=1, max_size=10) as pool:
        yield SourceDB(source, pool)


@asynccontextmanager
async def migrated_hub(
    test_databases: ScratchDatabases, admin_dsn: str, label: str
) -> AsyncIterator[SourceDB]:
    """A hub database of its own, migrated: where writes keep their idempotency keys."""
    dsn = await _scratch_database(test_databases, admin_dsn, label)
    await migrate_dsn(dsn)
    async with asyncpg.create_pool(dsn, min_size=1, max_size=10) as pool:
        yield SourceDB(Store.HUB, pool)


async def refused_writing_nothing(
    write: Awaitable[object], refusal: type[E], count: Callable[[], Awaitable[object]]
) -> E:
    """The ``refusal`` that ``write`` raises, with a message, having left what ``count``
    counts as it was."""
    before = await count()
    with pytest.raises(refusal) as refused:
        await write
    assert refused.value.message
    assert await count() == before
    return refused.value


@pytest.fixture(scope="session")
async def register(source_dbs: dict[Source, SourceDB]) -> frozenset[str]:
    """Every NIK in SIAK's register: the citizens a product's reference may resolve to."""
    rows = await source_dbs[Source.SIAK].fetch("SELECT nik FROM penduduk")
    return frozenset(row["nik"] for row in rows)


def assert_only_out_of_city_unregistered(
    referenced: Sequence[str], register: Set[str], report: SourceReport, *, rows: int
) -> None:
    """One clean 16-digit NIK per referencing row (``rows`` of them), each in the register
    but exactly the seeder's ``out_of_city`` ones, which are of Kabupaten Tangerang
    (36.03) or Tangerang Selatan (36.74)."""
    assert len(referenced) == rows
    assert all(re.fullmatch(r"\d{16}", nik) for nik in referenced)
    outsiders = [nik for nik in referenced if nik not in register]
    assert len(outsiders) == report.messy["out_of_city"] > 0
    assert {nik[:4] for nik in outsiders} <= {"3603", "3674"}
