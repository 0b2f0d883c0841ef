"""The synthetic city's truth in the database: the ``truth`` schema beside SIAK's register.

Written by ``citizen-hub seed`` (:func:`store_truth`), read only by ``citizen-hub
identity evaluate`` (:func:`load_truth`). It lives in SIAK's database because SIAK
is the one product every city has, but in a schema of its own: no connector reads
it, so the linker cannot learn from the answer it is measured against.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg

from connectors.base import Source
from connectors.truth import TrueRecord

if TYPE_CHECKING:
    from connectors.planting import Planted
    from connectors.truth import Truth

SCHEMA = "truth"
_DDL = f"""
DROP SCHEMA IF EXISTS {SCHEMA} CASCADE;
CREATE SCHEMA {SCHEMA};
COMMENT ON SCHEMA {SCHEMA} IS 'citizen-hub synthetic city: whom each record is about';
CREATE TABLE {SCHEMA}.records (
    system  text NOT NULL,   -- the product: psb, cpns, ...
    record  text NOT NULL,   -- as the crosswalk names it: pelamar:<nomor_peserta>
    role    text NOT NULL,   -- person, or parent (the parent a PSB form gives the phone of)
    nik     text,            -- whom it is about; NULL: nobody the city knows
    mess    text NOT NULL    -- the mess the record carries: clean, nik_digit_typo, ...
);
CREATE TABLE {SCHEMA}.duplicates (
    nik     text NOT NULL,   -- a citizen registered twice
    second  text NOT NULL    -- the NIK of the second registration
);
"""


async def store_truth(dsn: str, truth: Truth, planted: Planted) -> None:
    """Replace the ``truth`` schema of SIAK's database with ``truth``."""
    del planted  # the classes are in the records; kept for the seed's own report
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute(_DDL)
            await conn.copy_records_to_table(
                "records",
                schema_name=SCHEMA,
                records=[(r.system.value, r.record, r.role, r.nik, r.mess) for r in truth.rows()],
                columns=["system", "record", "role", "nik", "mess"],
            )
            await conn.copy_records_to_table(
                "duplicates",
                schema_name=SCHEMA,
                records=truth.duplicates,
                columns=["nik", "second"],
            )
            await conn.execute(
                f"CREATE INDEX records_key_idx ON {SCHEMA}.records (system, record, role)"
            )
    finally:
        await conn.close()


async def load_truth(conn: asyncpg.Connection) -> tuple[list[TrueRecord], list[tuple[str, str]]]:
    """Every record's truth and the duplicate registrations; raises ``LookupError`` when the
    database holds no truth (a city seeded before the truth was kept, or not synthetic)."""
    present = await conn.fetchval("SELECT to_regclass($1)", f"{SCHEMA}.records")
    if present is None:
        raise LookupError(
            "SIAK's database holds no truth schema: reseed the city (`citizen-hub seed`)"
        )
    rows = await conn.fetch(f"SELECT system, record, role, nik, mess FROM {SCHEMA}.records")
    records = [
        TrueRecord(Source(r["system"]), r["record"], r["role"], r["nik"], r["mess"]) for r in rows
    ]
    pairs = [
        (r["nik"], r["second"]) for r in await conn.fetch(f"SELECT * FROM {SCHEMA}.duplicates")
    ]
    return records, pairs
