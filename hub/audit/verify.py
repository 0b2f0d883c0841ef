"""Walk the disclosure chain and say which rows were altered, removed or reordered.

Per row, in ``seq`` order, three checks against the row before it:

- **removed**: ``seq`` skips numbers, or ``prev_hash`` is the hash of no row in
  the table (a row was deleted and the rest renumbered, or the row before was
  rewritten together with its hash);
- **reordered**: ``prev_hash`` is the hash of a row that is not the one before
  (rows swapped or moved by renumbering);
- **altered**: the row's content no longer gives its ``row_hash``.

The walk reads one snapshot (REPEATABLE READ, read-only) in batches, so its
memory stays flat; only a broken link costs one more look-up.

A chain alone cannot show rows cut from its end, nor a tail rewritten with every
hash after it recomputed (by the table's owner or a superuser). Given the lines of
the checkpoint sink (:mod:`hub.audit.checkpoint`), the same snapshot also checks
each signed checkpoint: a line whose signature fails is a checkpoint problem, and
against this chain

- **rewritten**: the row at a checkpointed ``seq`` now has another hash;
- **truncated**: a checkpointed ``seq`` lies beyond the chain's end now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from hub.audit.chain import GENESIS, row_hash
from hub.audit.checkpoint import CHAIN_ID, Checkpoint, CheckpointProblem, read_checkpoints
from hub.auth.keys import public_keys

if TYPE_CHECKING:
    import asyncpg

    from hub.migrate import Connection

ProblemKind = Literal["altered", "removed", "reordered", "rewritten", "truncated"]

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
    """``checkpoints``: the signed checkpoints of this chain that were checked;
    ``last_checkpoint``: the one of highest ``seq`` that still holds."""

    rows: int
    head_seq: int | None = None
    head_hash: bytes | None = None
    problems: tuple[ChainProblem, ...] = field(default_factory=tuple)
    checkpoints: int = 0
    last_checkpoint: Checkpoint | None = None
    checkpoint_problems: tuple[CheckpointProblem, ...] = field(default_factory=tuple)

    @property
    def intact(self) -> bool:
        return not self.problems and not self.checkpoint_problems


async def verify_chain(
    conn: Connection, batch: int = 10_000, checkpoint_lines: Sequence[str] | None = None
) -> VerifyResult:
    """Check every row of ``disclosures`` and, given the checkpoint sink's lines, every
    checkpoint (which needs a login that may read the signing keys); see the module
    docstring."""
    problems: list[ChainProblem] = []
    rows = 0
    prev: asyncpg.Record | None = None
    checkpoints: list[tuple[int, Checkpoint]] = []
    line_problems: list[CheckpointProblem] = []
    seen: dict[int, bytes] = {}
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        if checkpoint_lines is not None:
            chain: str = await conn.fetchval(CHAIN_ID)
            signed, line_problems = read_checkpoints(checkpoint_lines, await public_keys(conn))
            for line, checkpoint in signed:
                if checkpoint.chain == chain:
                    checkpoints.append((line, checkpoint))
                else:
                    detail = f"it is of chain {checkpoint.chain}, the database's is {chain}"
                    line_problems.append(CheckpointProblem(line, "other chain", detail))
        wanted = {c.seq for _, c in checkpoints}
        while True:
            records = await conn.fetch(_BATCH, prev["seq"] if prev else 0, batch)
            for r in records:
                problems += await _check(conn, r, prev)
                if r["seq"] in wanted:
                    seen[r["seq"]] = bytes(r["row_hash"])
                prev = r
            rows += len(records)
            if len(records) < batch:
                break
    head_seq: int | None = prev["seq"] if prev else None
    problems += _against_checkpoints(checkpoints, seen, head_seq)
    holding = [c for _, c in checkpoints if seen.get(c.seq) == c.head]
    return VerifyResult(
        rows,
        head_seq,
        bytes(prev["row_hash"]) if prev else None,
        tuple(problems),
        checkpoints=len(checkpoints),
        last_checkpoint=max(holding, key=lambda c: (c.seq, c.at), default=None),
        checkpoint_problems=tuple(sorted(line_problems, key=lambda p: p.line)),
    )


def _against_checkpoints(
    checkpoints: list[tuple[int, Checkpoint]], seen: dict[int, bytes], head_seq: int | None
) -> list[ChainProblem]:
    holding = sorted({c.seq for _, c in checkpoints if seen.get(c.seq) == c.head})
    found: list[ChainProblem] = []
    reported: set[tuple[int, bytes]] = set()
    for line, c in sorted(checkpoints, key=lambda lc: (lc[1].seq, lc[0])):
        now = seen.get(c.seq)
        if now == c.head or (c.seq, c.head) in reported:
            continue
        reported.add((c.seq, c.head))
        when = f"the checkpoint of {c.claims()['at']} (line {line})"
        below = [s for s in holding if s < c.seq]
        start = below[-1] + 1 if below else 1
        if now is None and (head_seq is None or c.seq > head_seq):
            detail = (
                f"{when} vouches for seq {c.seq}, but the chain now ends at seq {head_seq or 0}:"
                " rows were cut from its end"
            )
            found.append(ChainProblem(c.seq, "truncated", detail))
        elif now is None:
            found.append(ChainProblem(c.seq, "removed", f"{when} vouches for it; it is gone"))
        else:
            span = f"seq {start}–{c.seq}" if start < c.seq else f"seq {c.seq}"
            detail = (
                f"{when} holds its sha256 {c.head.hex()[:16]}…, it is now {now.hex()[:16]}…:"
                f" a row in {span} was rewritten and the hashes after it recomputed"
            )
            found.append(ChainProblem(c.seq, "rewritten", detail))
    return found


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
