"""What a sync's result depends on, as fingerprints: a rerun with nothing changed links nothing.

The crosswalk is a function of the products' sightings, SIAK, the steward's
rejections, the linker's code and the day (a NIK's two-digit birth year is placed
relative to today). Each input is fingerprinted where it lives, so an unchanged
source is recognised without a row of it reaching Python:

- a product: the very statement its ``sightings`` reads, wrapped in an aggregate
  (:data:`SIGHTINGS`), so every column and row the linker sees is covered and
  nothing else is: a product's other columns change freely;
- SIAK: every table and view on its search path, whole rows: the register is asked
  about NIKs that depend on the sightings (the round of near misses), so no fixed
  statement covers what it may be asked; the truth schema is not on the path;
- the steward: the statement that reads the rejected links;
- the linker: a digest of the code that reads, links and writes, and the versions
  of the Python and the phone library it runs on.

Each table fingerprint is ``count/sum/sum``: two 64-bit hashes of each row's text
summed over the rows. A sum does not depend on the order rows come in, so SIAK's
tables are scanned in parallel and never sorted; a changed, added or removed row changes
the sums unless a 128-bit hash collides. Content hashes, not statistics counters:
``pg_stat_user_tables`` counts are per server (a restored or copied database, a
reset, a failover start from zero) and a row rewritten with the same values counts
as a change while a database swapped for another with the same counts would not.
``hashtextextended`` is the hash PostgreSQL's hash partitions are placed by; a row's
text depends on the session's settings (DateStyle, TimeZone). Either differing on
another server or version at worst makes one sync link in full, never one skip.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
from collections.abc import Mapping
from datetime import date
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import connectors
import hub.identity
import identity
from connectors.antrian import reads as antrian_reads
from connectors.apk import reads as apk_reads
from connectors.base import Source
from connectors.cpns import reads as cpns_reads
from connectors.lpse import reads as lpse_reads
from connectors.psb import reads as psb_reads
from connectors.sikda import reads as sikda_reads
from connectors.sipbd import reads as sipbd_reads

if TYPE_CHECKING:
    from connectors.base import SourceDB
    from hub.migrate import Connection

# The products the crosswalk is linked from, by their reads module: its ``sightings``
# is what the sync reads (hub.identity.sync), its ``_SIGHTINGS`` the statement that
# sends. One table for both, so no product is read without being fingerprinted.
READS: dict[Source, ModuleType] = {
    Source.PSB: psb_reads,
    Source.CPNS: cpns_reads,
    Source.SIKDA: sikda_reads,
    Source.SIPBD: sipbd_reads,
    Source.LPSE: lpse_reads,
    Source.APK: apk_reads,
    Source.ANTRIAN: antrian_reads,
}
# The statement each product's ``sightings`` sends (tests check it sends exactly this one).
SIGHTINGS: dict[Source, str] = {source: reads._SIGHTINGS for source, reads in READS.items()}
REJECTED = "SELECT link_key FROM identity_decisions WHERE decision = 'REJECTED'"

_OF_ROWS = """
SELECT count(*)::text || '/' || COALESCE(sum(hashtextextended(r::text, 0)), 0)::text
       || '/' || COALESCE(sum(hashtextextended(r::text, 1)), 0)::text
  FROM ({rows}) r
"""
# Whatever an unqualified name in SIAK's statements can mean: every table and view on
# the search path (the truth schema is not on it).
_REGISTER_TABLES = """
SELECT table_schema, table_name FROM information_schema.tables
 WHERE table_schema = ANY (current_schemas(false))
 ORDER BY table_schema, table_name
"""
# What a sync leaves: a link's key digests what it links, its fingerprint the rest.
_CROSSWALK = """
SELECT (SELECT count(*)::text || '/' || COALESCE(sum(hashtextextended(
            encode(link_key || fingerprint, 'hex'), 0)), 0)::text FROM identity_links)
       || ' ' ||
       (SELECT count(*)::text || '/' || COALESCE(sum(hashtextextended(
            encode(finding_key || fingerprint, 'hex'), 0)), 0)::text FROM identity_findings)
"""
# The code whose change can change a link: sightings, register rounds, linker, rows.
_CODE = (identity, connectors, hub.identity)


def of_rows(statement: str) -> str:
    """The fingerprint statement over the rows ``statement`` returns (one text value)."""
    return _OF_ROWS.format(rows=statement)


async def inputs(sources: Mapping[Source, SourceDB], hub: Connection) -> dict[str, str]:
    """Every input's fingerprint by name: the products, ``siak``, ``rejected``, ``linker``."""
    names = [source.value for source in SIGHTINGS]
    products, register, rejected = await asyncio.gather(
        asyncio.gather(*(_fetch(sources[s], of_rows(sql)) for s, sql in SIGHTINGS.items())),
        register_fingerprint(sources[Source.SIAK]),
        hub.fetchval(of_rows(REJECTED)),
    )
    return {
        **dict(zip(names, products, strict=True)),
        Source.SIAK.value: register,
        "rejected": rejected,
        "linker": linker_version(),
        "today": date.today().isoformat(),
    }


async def register_fingerprint(siak: SourceDB) -> str:
    """Every table and view SIAK's statements can name, whole rows: ``table=fingerprint ...``."""
    tables = [
        f"{_quoted(r['table_schema'])}.{_quoted(r['table_name'])}"
        for r in await siak.fetch(_REGISTER_TABLES)
    ]
    if not tables:
        raise LookupError("SIAK's database has no table on its search path")
    # One statement a table, as many at once as the pool has connections.
    each = await asyncio.gather(*(_fetch(siak, of_rows(f"SELECT * FROM {t}")) for t in tables))
    return " ".join(f"{t}={f}" for t, f in zip(tables, each, strict=True))


async def crosswalk(hub: Connection) -> str:
    """The crosswalk's own fingerprint: both tables' keys and content digests."""
    value: str = await hub.fetchval(_CROSSWALK)
    return value


def linker_version() -> str:
    """A digest of the code that makes links, the Python and the phone library it runs on."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(sys.version.encode())
    digest.update(metadata.version("phonenumbers").encode())
    for package in _CODE:
        root = Path(package.__file__ or "").parent
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


async def _fetch(db: SourceDB, statement: str) -> str:
    rows = await db.fetch(statement)
    value: str = rows[0][0]
    return value


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
