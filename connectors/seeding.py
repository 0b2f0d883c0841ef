"""Load the synthetic city into the eight product databases with COPY.

Each database is rebuilt whole: its legacy DDL, then its rows, then its indexes
(building indexes after the load is several times faster for the whole city).
A database that holds tables this command did not make is never touched.

With ``realistic`` mess, :mod:`connectors.planting` dirties the rows as real
registers are dirty. Either way the truth (whom each record is about, and the
mess it carries: :mod:`connectors.truth`) is written into the ``truth`` schema of
SIAK's database, which no connector and no linker reads.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import asyncpg

from connectors.base import SeedRows, Source
from connectors.city import build_city
from connectors.planting import Planted, name_muhammads, plant
from connectors.registry import CONNECTORS, SEED_ORDER
from connectors.siak.events import record_events
from connectors.truth import Truth, record_truth
from connectors.truth_store import store_truth

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectors.city import City

MARKER = "citizen-hub synthetic city"
_DEFERRED = re.compile(r"^\s*(CREATE\s+(UNIQUE\s+)?INDEX|ALTER\s+TABLE)", re.IGNORECASE)


class SeedRefused(RuntimeError):
    """The target database holds data that is not a synthetic city; it is left alone."""


@dataclass(slots=True)
class SourceReport:
    source: Source
    rows: dict[str, int]
    messy: dict[str, int]
    seconds: float = 0.0
    bytes: int = 0


@dataclass(slots=True)
class SeedReport:
    citizens: int
    seed: int
    generate_seconds: float
    load_seconds: float
    sources: dict[Source, SourceReport] = field(default_factory=dict)
    city: City | None = None
    # The realistic mess planted (records per source and class); empty without it.
    planted: dict[tuple[Source, str], int] = field(default_factory=dict)
    truth: Truth | None = None


@dataclass(slots=True)
class Generated:
    """The city, every product's rows, the truth beside them and what was planted."""

    city: City
    produced: dict[Source, SeedRows]
    truth: Truth
    planted: Planted


def generate(citizens: int, seed: int, *, realistic: bool = False) -> Generated:
    """Build the city and every product's rows, in seed order (pure, no database);
    ``realistic``: then plant the mess real registers have."""
    city = build_city(citizens, seed)
    if realistic:
        name_muhammads(city)
    produced: dict[Source, SeedRows] = {}
    for source in SEED_ORDER:
        produced[source] = CONNECTORS[source].seeder(city, produced)
    truth = record_truth(city, produced)
    planted = plant(city, produced, truth) if realistic else Planted()
    record_events(produced[Source.SIAK], planted)
    truth.duplicates = sorted(planted.duplicates.items())
    return Generated(city, produced, truth, planted)


def split_ddl(ddl: str) -> tuple[list[str], list[str]]:
    """Split a DDL script into table statements and the index/constraint ones to run after COPY."""
    statements = [s.strip() for s in _strip_comments(ddl).split(";") if s.strip()]
    deferred = [s for s in statements if _DEFERRED.match(s)]
    return [s for s in statements if not _DEFERRED.match(s)], deferred


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


async def seeded_marker(dsn: str) -> str | None:
    """The marker comment of a seeded database, or ``None`` if it is not one of ours."""
    conn = await asyncpg.connect(dsn)
    try:
        comment: str | None = await conn.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
            " WHERE datname = current_database()"
        )
    finally:
        await conn.close()
    return comment if comment and comment.startswith(MARKER) else None


async def load_source(dsn: str, source: Source, rows: SeedRows, marker: str) -> SourceReport:
    """Rebuild one product database from its DDL and rows, in one transaction."""
    started = time.perf_counter()
    tables, deferred = split_ddl(CONNECTORS[source].ddl)
    conn = await asyncpg.connect(dsn)
    try:
        existing = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        comment = await conn.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
            " WHERE datname = current_database()"
        )
        if existing and not (comment or "").startswith(MARKER):
            raise SeedRefused(
                f"{source.value}: the database holds {existing} tables that citizen-hub did not"
                " seed; refusing to replace them (point the DSN at an empty database)"
            )
        async with conn.transaction():
            await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
            for statement in tables:
                await conn.execute(statement)
            for table, data in rows.tables.items():
                if data.rows:
                    await conn.copy_records_to_table(
                        table, records=data.rows, columns=list(data.columns)
                    )
            for statement in deferred:
                await conn.execute(statement)
            db = await conn.fetchval("SELECT current_database()")
            await conn.execute(f"COMMENT ON DATABASE {_ident(db)} IS '{marker}'")
        await conn.execute("ANALYZE")
        size = await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()
    return SourceReport(
        source=source,
        rows={t: len(d.rows) for t, d in rows.tables.items()},
        messy=dict(rows.messy),
        seconds=time.perf_counter() - started,
        bytes=size,
    )


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def seed_city(
    dsns: Mapping[Source, str], citizens: int, seed: int, *, realistic: bool = False
) -> SeedReport:
    """Generate the city and load every product database, the loads running concurrently,
    then the truth beside SIAK's register."""
    started = time.perf_counter()
    made = generate(citizens, seed, realistic=realistic)
    generated = time.perf_counter()
    mess = " mess=realistic" if realistic else ""
    marker = f"{MARKER} citizens={citizens} seed={seed}{mess}"
    reports = await asyncio.gather(
        *(load_source(dsns[s], s, made.produced[s], marker) for s in SEED_ORDER)
    )
    await store_truth(dsns[Source.SIAK], made.truth, made.planted)
    report = SeedReport(
        citizens=citizens,
        seed=seed,
        generate_seconds=generated - started,
        load_seconds=time.perf_counter() - generated,
        city=made.city,
        planted=dict(made.planted.counts),
        truth=made.truth,
    )
    report.sources = {r.source: r for r in reports}
    return report
