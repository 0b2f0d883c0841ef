"""The data steward's review queue: links in doubt, their evidence, and the decisions taken.

A CONFLICTED or SUGGESTED link waits here until a steward accepts it (it is then
served as the citizen's, for as long as its content is what the steward saw) or
rejects it (the sync never brings it back). A walk-in the model matched as CERTAIN is
not in the queue, but a steward may decide it too (:func:`_certain_match`). Decisions live in
``identity_decisions``, keyed by the link, so they survive every later sync.

A link is named by its key in hex (``identity review list`` prints the first 12
digits; any unambiguous prefix of 8 or more is accepted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from identity.layout import mask_long_numbers
from identity.nik import NIK

if TYPE_CHECKING:
    from typing import Any, TypeAlias

    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    Connection: TypeAlias = asyncpg.Connection[Any] | PoolConnectionProxy[Any]

ACCEPTED, REJECTED = "ACCEPTED", "REJECTED"
MIN_PREFIX = 8
# The advisory lock ``identity sync`` writes under (hub.identity.store): a decision
# waits for a sync's write, so the sync never undoes a rejection taken meanwhile.
SYNC_LOCK = 0x63686934  # "chi4"
_FROM = """
  FROM identity_links l
  LEFT JOIN identity_decisions d ON d.link_key = l.link_key AND d.fingerprint = l.fingerprint
"""
_COLUMNS = (
    """
SELECT encode(l.link_key, 'hex') AS id, l.link_key, l.fingerprint, l.system, l.record, l.kind,
       l.value, l.nik, l.method, l.status, l.confidence, l.via, l.evidence, d.decision"""
    + _FROM
)
# What waits for a steward: links in doubt no decision holds for ($1: of one product,
# $2: of one citizen, when given). Asked for one citizen, the queue also holds the
# walk-ins matched to them as certain: what a steward needs to confirm one, or take it
# back when the citizen says it was not them.
_IN_QUEUE = """
 WHERE (l.status <> 'CERTAIN' OR (l.method = 'MATCHED' AND $2::text IS NOT NULL))
   AND d.link_key IS NULL AND ($1::text IS NULL OR l.system = $1)
   AND ($2::text IS NULL OR l.nik = $2)
"""
_QUEUE = _COLUMNS + _IN_QUEUE + " ORDER BY l.system, l.record, l.confidence DESC LIMIT $3"
_QUEUE_SIZE = "SELECT count(*)" + _FROM + _IN_QUEUE
_BY_PREFIX = _COLUMNS + " WHERE encode(l.link_key, 'hex') LIKE $1 || '%' LIMIT 2"
_SAME_RECORD = _COLUMNS + " WHERE l.system = $1 AND l.record = $2 ORDER BY l.confidence DESC"
_SAME_NIK = _COLUMNS + " WHERE l.system = $1 AND l.record = $2 AND l.nik = $3"
# Whom else the record's identifier is served to: another NIK's link of the same
# identifier that is certain or accepted. (A record can hold several people's
# identifiers, a child's form its parent's phone: one identifier is one person's.)
_SERVED_TO_OTHER = (
    _COLUMNS
    + """
 WHERE l.system = $1 AND l.record = $2 AND l.kind = $3 AND l.value = $4 AND l.nik <> $5
   AND (l.status = 'CERTAIN' OR d.decision = 'ACCEPTED')
 ORDER BY l.status, l.link_key LIMIT 1
"""
)
_DECIDE = """
INSERT INTO identity_decisions (link_key, decision, fingerprint, reason, decided_by)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (link_key) DO UPDATE SET decision = excluded.decision,
    fingerprint = excluded.fingerprint, reason = excluded.reason,
    decided_by = excluded.decided_by, decided_at = now()
"""
# Digit runs this long in a record key (a phone, a NIK, a NIP) keep their ends only.
_LONG_NUMBER = 9


class ReviewError(ValueError):
    """A review command named no link, or several, or gave no reason: said in one line."""


@dataclass(frozen=True, slots=True)
class Pending:
    """A link in the queue (or decided), as the steward sees it: masked, with its evidence."""

    id: str
    system: str
    record: str
    kind: str
    value: str
    nik: str
    method: str
    status: str
    confidence: float
    via: str | None
    evidence: str | None
    decision: str | None

    def line(self, *, nik_shown: bool = False) -> str:
        """One line for the shell: NIKs masked unless ``nik_shown`` (logged by the caller)."""
        nik = self.nik if nik_shown else NIK(self.nik).masked()
        record = mask_long_numbers(self.record, _LONG_NUMBER)
        return (
            f"{self.id[:12]}  {self.system:<8} {record:<28} {self.kind:<17}"
            f" {nik}  {self.status:<10} {self.confidence:4.2f}"
            f"  {self.evidence or self.via or ''}"
        )


async def queue(
    conn: Connection, *, system: str | None, limit: int, nik: str | None = None
) -> tuple[int, list[Pending]]:
    """How many links wait for review, and the first ``limit`` of them (only those of
    ``system``, and of the citizen ``nik``, when given: then with the walk-ins matched
    to them as certain, which a steward may decide too)."""
    total = await conn.fetchval(_QUEUE_SIZE, system, nik)
    return total, [_pending(r) for r in await conn.fetch(_QUEUE, system, nik, limit)]


async def show(conn: Connection, prefix: str) -> tuple[Pending, list[Pending]]:
    """The link ``prefix`` names and every link of the same record: the evidence side by side."""
    row = await _one(conn, prefix)
    others = await conn.fetch(_SAME_RECORD, row["system"], row["record"])
    return _pending(row), [_pending(r) for r in others]


async def decide(
    conn: Connection, prefix: str, decision: str, reason: str, decided_by: str
) -> list[Pending]:
    """Accept or reject the link ``prefix`` names, and the other identifiers its record
    ties to the same NIK (one decision per record and person), for the reason given. A
    rejected link is removed at once, and the sync leaves it out from now on. An
    acceptance is refused, nothing written, when any of those identifiers is already
    served to another citizen."""
    if not reason.strip():
        raise ReviewError("give a reason (--reason): the decision is kept with it")
    if len(reason.strip()) > 500:
        raise ReviewError("the reason is longer than 500 characters")
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", SYNC_LOCK)
        row = await _one(conn, prefix)
        if row["status"] == "CERTAIN" and not _certain_match(row):
            # A certain link carrying the NIK (or derived from one) is the register's.
            raise ReviewError(
                f"link {row['id'][:12]} is certain ({row['method']}: the record carries the"
                " NIK or is derived from one): it is the register's, not reviewed"
            )
        rows = await conn.fetch(_SAME_NIK, row["system"], row["record"], row["nik"])
        # Decided together: the record's links of that NIK alike (in doubt, or matched).
        rows = [r for r in rows if _certain_match(r) == _certain_match(row)]
        if decision == ACCEPTED:
            # Every identifier accepted with it, not only the one named: the record's
            # other links of this NIK would serve it as well.
            for r in rows:
                await _served_to_nobody_else(conn, r)
        for r in rows:
            await conn.execute(
                _DECIDE, r["link_key"], decision, r["fingerprint"], reason.strip(), decided_by
            )
            if decision == REJECTED:
                await conn.execute("DELETE FROM identity_links WHERE link_key = $1", r["link_key"])
    return [_pending(r) for r in rows]


def _certain_match(row: asyncpg.Record) -> bool:
    """A walk-in the model matched by phone and served as certain: the model's guess, not
    the register's word. A steward may reject it (the citizen says "that was my wife")
    or accept it (the citizen, who is shown a matched visit only once a steward has
    confirmed it, came to the counter with a KTP)."""
    return bool(row["status"] == "CERTAIN" and row["method"] == "MATCHED")


# Records that belong to an organisation, whose identifiers several citizens hold.
SEVERAL_PEOPLES = frozenset({("lpse", "penyedia")})


async def _served_to_nobody_else(conn: Connection, row: asyncpg.Record) -> None:
    """Refuse to accept a link whose identifier, in that record, is already served to
    another citizen.

    A walk-in's ticket, a form's registration number, is one person's: accepting a
    second candidate would serve it to two citizens. Refused rather than the other
    candidate rejected for the steward: a rejection is final (the link is removed and
    never comes back), so it is taken only when a steward asks for it. A company's
    record is several people's (a vendor's NPWP and phone, linked to each director):
    a second director is accepted beside the first.
    """
    if (row["system"], row["record"].split(":", 1)[0]) in SEVERAL_PEOPLES:
        return
    other = await conn.fetchrow(
        _SERVED_TO_OTHER, row["system"], row["record"], row["kind"], row["value"], row["nik"]
    )
    if other is None:
        return
    record = mask_long_numbers(row["record"], _LONG_NUMBER)
    served = (
        f"{row['system']} {record} {row['kind']} (link {row['id'][:12]}) is"
        " already served to another citizen:"
    )
    if other["status"] == "CERTAIN":
        raise ReviewError(f"{served} link {other['id'][:12]} is certain; this one is not accepted")
    raise ReviewError(
        f"{served} link {other['id'][:12]} is accepted; reject it first to accept this one"
    )


async def _one(conn: Connection, prefix: str) -> asyncpg.Record:
    key = prefix.strip().lower()
    if len(key) < MIN_PREFIX or not re.fullmatch(r"[0-9a-f]+", key):
        raise ReviewError(
            f"a link is named by {MIN_PREFIX} or more hex digits of its id"
            " (as `identity review list` prints it)"
        )
    rows = await conn.fetch(_BY_PREFIX, key)
    if not rows:
        raise ReviewError(f"no link has an id starting {key}")
    if len(rows) > 1:
        raise ReviewError(f"several links have an id starting {key}: give more digits")
    row: asyncpg.Record = rows[0]
    return row


def _pending(row: asyncpg.Record) -> Pending:
    return Pending(
        id=row["id"],
        system=row["system"],
        record=row["record"],
        kind=row["kind"],
        value=row["value"],
        nik=row["nik"],
        method=row["method"],
        status=row["status"],
        confidence=round(row["confidence"], 3),
        via=row["via"],
        evidence=row["evidence"],
        decision=row["decision"],
    )
