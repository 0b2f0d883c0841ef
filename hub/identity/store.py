"""SQL that writes the crosswalk: a sync's links and findings applied as differences.

Each row is keyed by a digest of what identifies it and carries a fingerprint
(a digest of the rest). A sync copies every row's key and fingerprint into a
temporary table and, set-based, deletes the rows no longer found; only the rows
whose fingerprint changed or that are new are then built and copied in full, to
be rewritten or inserted: an unchanged link is never touched nor sent, whatever
the size of the city.

A link has two digests. Its ``fingerprint`` is what a steward's decision is tied to:
its method, how it was made, its status and its evidence's levels, not the numbers
(a walk-in's weights and probability are re-learnt from every ticket, so one new
ticket would otherwise send every accepted walk-in back to the queue). Its
``checksum`` covers every content column: a link whose numbers changed is rewritten.
A row edited by hand loses both (a trigger, migration 011): the next sync rewrites it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, replace
from hashlib import blake2b as _blake2b
from hashlib import md5 as _md5
from typing import TYPE_CHECKING, Any

from connectors.crosswalk.review import SYNC_LOCK
from hub.identity import fingerprints

if TYPE_CHECKING:
    from datetime import datetime

    from hub.migrate import Connection
    from identity.findings import Finding
    from identity.links import Link

# Two syncs at once would each delete what the other inserted; a steward's decision
# taken while a sync writes would be undone by it (decide() takes the same lock).
_LOCK_KEY = SYNC_LOCK
LAST_SYNC = "SELECT * FROM identity_syncs ORDER BY id DESC LIMIT 1"
# What a fingerprint leaves out of a link's evidence: the walk-in model's weights and
# probability (identity.scoring.Model.evidence); identity_link_basis in SQL is the same.
_NUMBERS = re.compile(r" \(weight [^)]*\)|; probability [^;]*$")
# The sync writes with this set for its transaction: a write without it is a hand edit.
_WRITING = "SELECT set_config('citizen_hub.identity_sync', 'on', true)"


@dataclass(frozen=True, slots=True)
class Run:
    """One sync as recorded: when, from which inputs (fingerprints), records read per source."""

    started: datetime
    finished: datetime
    inputs: dict[str, str]
    records: dict[str, int]


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
    content: tuple[str, ...]  # every column but the key, the digests and the times
    digests: tuple[str, ...]  # the digest columns: a row differing in one is rewritten


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
    ("fingerprint", "checksum"),
)
FINDINGS = _Table(
    "identity_findings",
    "finding_key",
    ("system", "rule", "record", "nik", "detail"),
    ("fingerprint",),
)


@dataclass(frozen=True, slots=True)
class Rows:
    """A table's rows as a sync computed them: each row's key and digests (its table's
    ``digests`` columns, in order), and its content columns on demand (``content(i)``),
    built only for rows that changed."""

    digests: list[tuple[bytes, ...]]
    content: Callable[[int], tuple[Any, ...]]

    def without(self, keys: Set[bytes]) -> Rows:
        """These rows but those whose key is in ``keys``."""
        if not keys:
            return self
        kept = [n for n, d in enumerate(self.digests) if d[0] not in keys]
        return Rows([self.digests[n] for n in kept], lambda i: self.content(kept[i]))


def link_rows(links: Sequence[Link]) -> Rows:
    """Rows for ``identity_links``."""
    digests: list[tuple[bytes, ...]] = []
    for link in links:
        key = _key(*link.key)
        via = "" if link.via is None else link.via
        evidence = "" if link.evidence is None else link.evidence
        basis = (
            f"{link.method}\x1f{via}\x1f{'true' if link.in_register else 'false'}"
            f"\x1f{link.status}\x1f{_NUMBERS.sub('', evidence)}"
        )
        checksum = _fingerprint(
            f"{link.method}\x1f{link.confidence:.3f}\x1f{via}"
            f"\x1f{link.in_register}\x1f{link.status}\x1f{evidence}"
        )
        digests.append((key, basis_digest(basis), checksum))
    return Rows(digests, lambda i: _link_content(links[i]))


def basis_digest(basis: str) -> bytes:
    """A link's fingerprint: what a decision is tied to (``identity_link_basis`` in SQL)."""
    return _md5(basis.encode(), usedforsecurity=False).digest()[:8]


def finding_rows(findings: Sequence[Finding]) -> Rows:
    """Rows for ``identity_findings``."""
    digests: list[tuple[bytes, ...]] = [
        (_key(f.system, f.rule, f.record, f.nik or ""), _fingerprint(f.detail)) for f in findings
    ]
    return Rows(digests, lambda i: _finding_content(findings[i]))


async def apply_sync(
    conn: Connection,
    links: Rows,
    findings: Rows,
    run: Run,
) -> tuple[Changes, Changes]:
    """Make both tables hold exactly ``links`` and ``findings``, touching only differences.

    The sync's row keeps ``run``'s inputs and the crosswalk's fingerprint as left,
    for the next sync to see whether anything changed (:func:`record_if_unchanged`).
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(_WRITING)
        # Rejections are read again under the lock: one taken while this sync linked
        # (decide() waits for the lock, so none is taken while it writes) stays taken.
        rejected = {r["link_key"] for r in await conn.fetch(fingerprints.REJECTED)}
        link_changes = await _apply(conn, LINKS, links.without(rejected), run.finished)
        finding_changes = await _apply(conn, FINDINGS, findings, run.finished)
        left = await fingerprints.crosswalk(conn)
        await _record(conn, run, link_changes, finding_changes, left, relinked=True)
    if link_changes.inserted or link_changes.removed or finding_changes.inserted:
        # Every request with a product field reads the crosswalk by NIK: its planner
        # must know the table's size now, not wait for autovacuum (which may be off).
        await conn.execute("ANALYZE identity_links, identity_findings")
    return link_changes, finding_changes


async def record_if_unchanged(
    conn: Connection, run: Run
) -> tuple[Changes, Changes, dict[str, int]] | None:
    """Record ``run`` as a sync that changed nothing, if nothing changed; else ``None``.

    Returns what the last sync left: its links, findings and records read per source.

    Nothing changed when the last sync was computed from the same inputs and the
    crosswalk is still as it left it (a row edited or removed by hand, or by a
    steward's rejection, is mended by a full sync). Checked under the sync lock, so
    a sync finishing meanwhile is seen.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        last = await conn.fetchrow(LAST_SYNC)
        if last is None or last["inputs"] is None or json.loads(last["inputs"]) != run.inputs:
            return None
        left = await fingerprints.crosswalk(conn)
        if last["crosswalk"] != left:
            return None
        links = Changes(last["links"], 0, 0, 0)
        found = Changes(last["findings"], 0, 0, 0)
        run = replace(run, records=json.loads(last["records"]))
        await _record(conn, run, links, found, left, relinked=False)
        return links, found, run.records


async def _record(
    conn: Connection,
    run: Run,
    links: Changes,
    findings: Changes,
    crosswalk: str,
    *,
    relinked: bool,
) -> None:
    await conn.execute(
        """
        INSERT INTO identity_syncs (started_at, finished_at, links, links_inserted,
            links_updated, links_removed, findings, findings_inserted, findings_updated,
            findings_removed, inputs, crosswalk, records, relinked)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        """,
        run.started,
        run.finished,
        *(links.total, links.inserted, links.updated, links.removed),
        *(findings.total, findings.inserted, findings.updated, findings.removed),
        json.dumps(run.inputs, sort_keys=True),
        crosswalk,
        json.dumps(run.records, sort_keys=True),
        relinked,
    )


async def _apply(conn: Connection, table: _Table, rows: Rows, now: datetime) -> Changes:
    columns = (table.key, *table.content, *table.digests)
    width = len(table.digests)
    if not await conn.fetchval(f"SELECT EXISTS (SELECT FROM {table.name})"):
        # The first sync: nothing to compare with, every row is new.
        await conn.copy_records_to_table(
            table.name,
            records=(
                (d[0], *rows.content(n), *d[1:], now, now) for n, d in enumerate(rows.digests)
            ),
            columns=[*columns, "first_seen", "changed_at"],
        )
        return Changes(len(rows.digests), len(rows.digests), 0, 0)
    # Keys and digests first (24 or 32 bytes a row): the server finds what differs, and
    # only those rows' content is built and sent; an unchanged row costs no more.
    keyed = f"keyed_{table.name}"
    digest_columns = ", ".join(f"{c} bytea" for c in table.digests)
    await conn.execute(
        f"CREATE TEMP TABLE {keyed} (n integer, key bytea, {digest_columns}) ON COMMIT DROP"
    )
    await conn.copy_records_to_table(
        keyed,
        records=[(n, *d) for n, d in enumerate(rows.digests)],
        columns=["n", "key", *table.digests],
    )
    await conn.execute(f"ANALYZE {keyed}")
    removed = await conn.execute(
        f"DELETE FROM {table.name} t WHERE NOT EXISTS"
        f" (SELECT 1 FROM {keyed} i WHERE i.key = t.{table.key})"
    )
    differs = " OR ".join(f"t.{c} <> i.{c}" for c in table.digests)
    differing = await conn.fetch(
        f"SELECT i.n FROM {keyed} i LEFT JOIN {table.name} t ON t.{table.key} = i.key"
        f" WHERE t.{table.key} IS NULL OR {differs} ORDER BY i.n"
    )
    if not differing:
        return Changes(len(rows.digests), 0, 0, _count(removed))
    incoming = f"incoming_{table.name}"
    listed = ", ".join(columns)
    await conn.execute(
        f"CREATE TEMP TABLE {incoming} ON COMMIT DROP AS"
        f" SELECT {listed} FROM {table.name} WITH NO DATA"
    )
    content = [
        (rows.digests[n][0], *rows.content(n), *rows.digests[n][1 : 1 + width])
        for n in (r["n"] for r in differing)
    ]
    await conn.copy_records_to_table(incoming, records=content, columns=list(columns))
    await conn.execute(f"ANALYZE {incoming}")
    assignments = ", ".join(f"{c} = i.{c}" for c in (*table.content, *table.digests))
    updated = await conn.execute(
        f"UPDATE {table.name} t SET {assignments}, changed_at = $1 FROM {incoming} i"
        f" WHERE i.{table.key} = t.{table.key}",
        now,
    )
    inserted = await conn.execute(
        f"INSERT INTO {table.name} ({listed}, first_seen, changed_at)"
        f" SELECT {listed}, $1, $1 FROM {incoming} i WHERE NOT EXISTS"
        f" (SELECT 1 FROM {table.name} t WHERE t.{table.key} = i.{table.key})",
        now,
    )
    return Changes(len(rows.digests), _count(inserted), _count(updated), _count(removed))


def _count(status: str) -> int:
    """The row count of a command status: ``INSERT 0 12`` → 12, ``DELETE 3`` → 3."""
    return int(status.rsplit(" ", 1)[-1])


def _link_content(link: Link) -> tuple[Any, ...]:
    return (
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
    )


def _finding_content(f: Finding) -> tuple[Any, ...]:
    return (f.system.value, f.rule.value, f.record, f.nik, f.detail)


def _key(*parts: str) -> bytes:
    """What identifies a row across syncs (steward decisions name links by it)."""
    # Parts are str (StrEnum members join as their values): no str() per part, on
    # the write's hottest path.
    return _blake2b("\x1f".join(parts).encode(), digest_size=16).digest()


def _fingerprint(text: str) -> bytes:
    return _blake2b(text.encode(), digest_size=8).digest()
