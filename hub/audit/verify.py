"""Walk the disclosure chain and say which rows were altered, removed or reordered.

Per row, in ``seq`` order, three checks against the row before it:

- **removed**: ``seq`` skips numbers, or ``prev_hash`` is the hash of no row in
  the table (a row was deleted and the rest renumbered, or the row before was
  rewritten together with its hash);
- **reordered**: ``prev_hash`` is the hash of a row that is not the one before
  (rows swapped or moved by renumbering);
- **altered**: the row's content no longer gives its ``row_hash``.

The walk reads one snapshot (REPEATABLE READ, read-only) in batches, so its
memory stays flat; only a broken link costs one more look-up. A hash chain
cannot show rows cut from its end: compare ``head_seq``/``head_hash`` with a
value noted earlier (the CLI prints them) for that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from hub.audit.chain import GENESIS, row_hash

if TYPE_CHECKING:
    import asyncpg

    from hub.migrate import Connection

ProblemKind = Literal["altered", "removed", "reordered"]

_BATCH = """
SELECT seq, at, request_id, client_id, subject, purpose, nik, sources, fields, prev_hash, row_hash
FROM disclosures WHERE seq > $1 ORDER BY seq LIMIT $2
"""


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """What is wrong at one row; ``seq`` is the row's number as it is now."""

    seq: int
    kind: ProblemKind
    detail: str


@dataclass(frozen=True, slots=True)
class VerifyResult:
    rows: int
    head_seq: int | None = None
    head_hash: bytes | None = None
    problems: tuple[ChainProblem, ...] = field(default_factory=tuple)

    @property
    def intact(self) -> bool:
        return not self.problems


async def verify_chain(conn: Connection, batch: int = 10_000) -> VerifyResult:
    """Check every row of ``disclosures``; see the module docstring."""
    problems: list[ChainProblem] = []
    rows = 0
    prev: asyncpg.Record | None = None
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        while True:
            records = await conn.fetch(_BATCH, prev["seq"] if prev else 0, batch)
            for r in records:
                problems += await _check(conn, r, prev)
                prev = r
            rows += len(records)
            if len(records) < batch:
                break
    if prev is None:
        return VerifyResult(rows=0, problems=tuple(problems))
    return VerifyResult(rows, prev["seq"], bytes(prev["row_hash"]), tuple(problems))


async def _check(
    conn: Connection, r: asyncpg.Record, prev: asyncpg.Record | None
) -> list[ChainProblem]:
    seq: int = r["seq"]
    found: list[ChainProblem] = []
    expected_seq = prev["seq"] + 1 if prev else 1
    if seq != expected_seq:
        missing = str(expected_seq) if seq - 1 == expected_seq else f"{expected_seq}–{seq - 1}"
        found.append(ChainProblem(seq, "removed", f"seq {missing} missing before it"))
    expected_prev = bytes(prev["row_hash"]) if prev else GENESIS
    link = bytes(r["prev_hash"])
    if link != expected_prev:
        found += await _broken_link(conn, seq, link, prev, gap=seq != expected_seq)
    content = row_hash(
        link,
        r["at"],
        r["request_id"],
        r["client_id"],
        r["subject"],
        r["purpose"],
        r["nik"],
        r["sources"],
        r["fields"],
    )
    if content != bytes(r["row_hash"]):
        found.append(ChainProblem(seq, "altered", "its content does not match its row_hash"))
    return found


async def _broken_link(
    conn: Connection, seq: int, link: bytes, prev: asyncpg.Record | None, *, gap: bool
) -> list[ChainProblem]:
    if link == GENESIS:
        return [ChainProblem(seq, "reordered", "it was written as the first row")]
    before = await conn.fetchval("SELECT seq FROM disclosures WHERE row_hash = $1 LIMIT 1", link)
    if before is not None:
        return [
            ChainProblem(
                seq, "reordered", f"it was written right after the row now at seq {before}"
            )
        ]
    if gap:  # the missing seq already says it
        return []
    after = f"seq {prev['seq']}" if prev else "the start"
    return [
        ChainProblem(
            seq,
            "removed",
            f"the row written before it is gone: a row after {after} was removed,"
            " or the row before it was rewritten with a new hash",
        )
    ]
