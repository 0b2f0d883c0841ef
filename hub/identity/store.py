"""SQL that writes the crosswalk: a sync's links and findings applied as differences.

Each row is keyed by a digest of what identifies it and carries a fingerprint
(a digest of the rest). A sync copies every row's key and fingerprint into a
temporary table and, set-based, deletes the rows no longer found; only the rows
whose fingerprint changed or that are new are then built and copied in full, to
be rewritten or inserted: an unchanged link is never touched nor sent, whatever
the size of the city.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, replace
from hashlib import blake2b as _blake2b
from typing import TYPE_CHECKING, Any

from hub.identity import fingerprints

if TYPE_CHECKING:
    from datetime import datetime

    from hub.migrate import Connection
    from identity.findings import Finding
    from identity.links import Link

# Two syncs at once would each delete what the other inserted.
_LOCK_KEY = 0x63686934  # "chi4"
_LAST_SYNC = "SELECT * FROM identity_syncs ORDER BY id DESC LIMIT 1"
_KEYED = ["n", "key", "fingerprint"]


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


@dataclass(frozen=True, slots=True)
class Rows:
    """A table's rows as a sync computed them: each row's key digest and fingerprint, and
    its content columns on demand (``content(i)``), built only for rows that changed."""

    digests: list[tuple[bytes, bytes]]
    content: Callable[[int], tuple[Any, ...]]


def link_rows(links: Sequence[Link], leave_out: Set[bytes] = frozenset()) -> Rows:
    """Rows for ``identity_links``, but those whose key is in ``leave_out``."""
    digests: list[tuple[bytes, bytes]] = []
    kept: list[Link] = []
    for link in links:
        key = _key(*link.key)
        if key in leave_out:
            continue
        kept.append(link)
        via, evidence = link.via, link.evidence
        digests.append(
            (
                key,
                _fingerprint(
                    f"{link.method}\x1f{link.confidence:.3f}\x1f{'' if via is None else via}"
                    f"\x1f{link.in_register}\x1f{link.status}"
                    f"\x1f{'' if evidence is None else evidence}"
                ),
            )
        )
    return Rows(digests, lambda i: _link_content(kept[i]))


def finding_rows(findings: Sequence[Finding]) -> Rows:
    """Rows for ``identity_findings``."""
    digests = [
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
        link_changes = await _apply(conn, LINKS, links, run.finished)
        finding_changes = await _apply(conn, FINDINGS, findings, run.finished)
        left = await fingerprints.crosswalk(conn)
        await _record(conn, run, link_changes, finding_changes, left, relinked=True)
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
        last = await conn.fetchrow(_LAST_SYNC)
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
    columns = (table.key, *table.content, "fingerprint")
    if not await conn.fetchval(f"SELECT EXISTS (SELECT FROM {table.name})"):
        # The first sync: nothing to compare with, every row is new.
        await conn.copy_records_to_table(
            table.name,
            records=(
                (key, *rows.content(n), fingerprint, now, now)
                for n, (key, fingerprint) in enumerate(rows.digests)
            ),
            columns=[*columns, "first_seen", "changed_at"],
        )
        return Changes(len(rows.digests), len(rows.digests), 0, 0)
    # Keys and fingerprints first (24 bytes a row): the server finds what differs, and
    # only those rows' content is built and sent; an unchanged row costs no more.
    keyed = f"keyed_{table.name}"
    await conn.execute(
        f"CREATE TEMP TABLE {keyed} (n integer, key bytea, fingerprint bytea) ON COMMIT DROP"
    )
    await conn.copy_records_to_table(
        keyed, records=[(n, *d) for n, d in enumerate(rows.digests)], columns=_KEYED
    )
    await conn.execute(f"ANALYZE {keyed}")
    removed = await conn.execute(
        f"DELETE FROM {table.name} t WHERE NOT EXISTS"
        f" (SELECT 1 FROM {keyed} i WHERE i.key = t.{table.key})"
    )
    differing = await conn.fetch(
        f"SELECT i.n FROM {keyed} i LEFT JOIN {table.name} t ON t.{table.key} = i.key"
        f" WHERE t.{table.key} IS NULL OR t.fingerprint <> i.fingerprint ORDER BY i.n"
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
        (rows.digests[n][0], *rows.content(n), rows.digests[n][1])
        for n in (r["n"] for r in differing)
    ]
    await conn.copy_records_to_table(incoming, records=content, columns=list(columns))
    await conn.execute(f"ANALYZE {incoming}")
    assignments = ", ".join(f"{c} = i.{c}" for c in (*table.content, "fingerprint"))
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
