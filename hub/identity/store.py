"""SQL that writes the crosswalk: a sync's links and findings applied as differences.

Each row is keyed by a digest of what identifies it and carries a fingerprint
(a digest of the rest). A sync copies what it computed into a temporary table
and, set-based, deletes the rows no longer found, rewrites those whose
fingerprint changed and inserts the new ones: an unchanged link is never
touched, whatever the size of the city.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.migrate import Connection
    from identity.findings import Finding
    from identity.links import Link

# Two syncs at once would each delete what the other inserted.
_LOCK_KEY = 0x63686934  # "chi4"


@dataclass(frozen=True, slots=True)
class Changes:
    """What a sync did to one table: rows now, and how many it inserted, rewrote, removed."""

    total: int
    inserted: int
    updated: int
    removed: int

    @property
    def touched(self) -> int:
        """Rows written or removed: 0 when nothing changed since the last sync."""
        return self.inserted + self.updated + self.removed


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    key: str
    content: tuple[str, ...]  # every column but the key, the fingerprint and the times


LINKS = _Table(
    "identity_links",
    "link_key",
    (
        "kind",
        "value",
        "system",
        "record",
        "nik",
        "method",
        "confidence",
        "via",
        "in_register",
        "status",
        "evidence",
    ),
)
FINDINGS = _Table("identity_findings", "finding_key", ("system", "rule", "record", "nik", "detail"))


def link_rows(links: Iterable[Link]) -> list[tuple[Any, ...]]:
    """Rows for ``identity_links``: key digest, content, fingerprint."""
    return [
        (
            _digest(*link.key, size=16),
            link.kind.value,
            link.value,
            link.system.value,
            link.record,
            link.nik,
            link.method.value,
            link.confidence,
            link.via,
            link.in_register,
            link.status.value,
            link.evidence,
            _digest(
                link.method.value,
                f"{link.confidence:.3f}",
                link.via,
                link.in_register,
                link.status.value,
                link.evidence,
            ),
        )
        for link in links
    ]


def finding_rows(findings: Iterable[Finding]) -> list[tuple[Any, ...]]:
    """Rows for ``identity_findings``: key digest, content, fingerprint."""
    return [
        (
            _digest(f.system.value, f.rule.value, f.record, f.nik, size=16),
            f.system.value,
            f.rule.value,
            f.record,
            f.nik,
            f.detail,
            _digest(f.detail),
        )
        for f in findings
    ]


async def apply_sync(
    conn: Connection,
    links: Sequence[tuple[Any, ...]],
    findings: Sequence[tuple[Any, ...]],
    started: datetime,
    finished: datetime,
) -> tuple[Changes, Changes]:
    """Make both tables hold exactly ``links`` and ``findings``, touching only differences."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        link_changes = await _apply(conn, LINKS, links, finished)
        finding_changes = await _apply(conn, FINDINGS, findings, finished)
        await conn.execute(
            """
            INSERT INTO identity_syncs (started_at, finished_at, links, links_inserted,
                links_updated, links_removed, findings, findings_inserted, findings_updated,
                findings_removed)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """,
            started,
            finished,
            *(link_changes.total, link_changes.inserted, link_changes.updated),
            link_changes.removed,
            *(finding_changes.total, finding_changes.inserted, finding_changes.updated),
            finding_changes.removed,
        )
    return link_changes, finding_changes


async def _apply(
    conn: Connection, table: _Table, rows: Sequence[tuple[Any, ...]], now: datetime
) -> Changes:
    incoming = f"incoming_{table.name}"
    columns = (table.key, *table.content, "fingerprint")
    listed = ", ".join(columns)
    await conn.execute(
        f"CREATE TEMP TABLE {incoming} ON COMMIT DROP AS"
        f" SELECT {listed} FROM {table.name} WITH NO DATA"
    )
    await conn.copy_records_to_table(incoming, records=rows, columns=list(columns))
    await conn.execute(f"ANALYZE {incoming}")
    removed = await conn.execute(
        f"DELETE FROM {table.name} t WHERE NOT EXISTS"
        f" (SELECT 1 FROM {incoming} i WHERE i.{table.key} = t.{table.key})"
    )
    assignments = ", ".join(f"{c} = i.{c}" for c in (*table.content, "fingerprint"))
    updated = await conn.execute(
        f"UPDATE {table.name} t SET {assignments}, changed_at = $1 FROM {incoming} i"
        f" WHERE i.{table.key} = t.{table.key} AND i.fingerprint <> t.fingerprint",
        now,
    )
    inserted = await conn.execute(
        f"INSERT INTO {table.name} ({listed}, first_seen, changed_at)"
        f" SELECT {listed}, $1, $1 FROM {incoming} i WHERE NOT EXISTS"
        f" (SELECT 1 FROM {table.name} t WHERE t.{table.key} = i.{table.key})",
        now,
    )
    return Changes(len(rows), _count(inserted), _count(updated), _count(removed))


def _count(status: str) -> int:
    """The row count of a command status: ``INSERT 0 12`` → 12, ``DELETE 3`` → 3."""
    return int(status.rsplit(" ", 1)[-1])


def _digest(*parts: object, size: int = 8) -> bytes:
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.blake2b(text.encode(), digest_size=size).digest()
