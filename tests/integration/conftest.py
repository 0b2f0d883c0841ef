"""What the connector tests share: the test city, its product databases, the register."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence, Set
from contextlib import AsyncExitStack

import asyncpg
import pytest

from connectors.base import Source, SourceDB
from connectors.city import City
from connectors.seeding import SeedReport, SourceReport


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
