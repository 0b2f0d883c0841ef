"""Walk every chain of the disclosure log and say which rows were altered, removed or reordered.

The log holds one chain per writer (a hub process: column ``writer``, position
``writer_seq``), and the chain written before there were writers (``writer`` NULL,
position ``seq``). Per row, in its chain's order, three checks against the row before
it in the same chain:

- **removed**: the position skips numbers, or ``prev_hash`` is the hash of no row in
  the table (a row was deleted and the rest renumbered, or the row before was
  rewritten together with its hash);
- **reordered**: ``prev_hash`` is the hash of a row that is not the one before
  (rows swapped or moved by renumbering, or moved from another chain);
- **altered**: the row's content no longer gives its ``row_hash`` (encoding v1 or v2
  by its chain, :mod:`hub.audit.chain`).

The walk reads one snapshot (REPEATABLE READ, read-only) in batches, so its
memory stays flat; only a broken link costs one more look-up.

A chain alone cannot show rows cut from its end, nor a tail rewritten with every
hash after it recomputed (by the table's owner or a superuser). Given the lines of
the checkpoint sink (:mod:`hub.audit.checkpoint`), the same snapshot also checks
each signed checkpoint of a chain's head: a line whose signature fails is a
checkpoint problem, and against its chain

- **rewritten**: the row at a checkpointed position now has another hash;
- **truncated**: a checkpointed position lies beyond the chain's end now (a chain
  removed whole ends at 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from hub.audit.chain import GENESIS, stored_row_hash
from hub.audit.checkpoint import CHAIN_ID, Checkpoint, CheckpointProblem, read_checkpoints
from hub.auth.keys import public_keys

if TYPE_CHECKING:
    import asyncpg

    from hub.migrate import Connection

ProblemKind = Literal["altered", "removed", "reordered", "rewritten", "truncated"]

_COLUMNS = """seq, coalesce(writer_seq, seq) AS pos, writer, at, request_id, client_id, subject,
purpose, consent_id, nik, sources, fields, prev_hash, row_hash"""
# The first chain by seq (the primary key), then each writer's by (writer, writer_seq)
# (their unique index): keyset batches, each a range scan.
_FIRST_CHAIN = f"""
SELECT {_COLUMNS} FROM disclosures WHERE writer IS NULL AND seq > $1 ORDER BY seq LIMIT $2
"""
_WRITER_CHAINS = f"""
SELECT {_COLUMNS} FROM disclosures
WHERE writer IS NOT NULL AND (writer, writer_seq) > ($1, $2)
ORDER BY writer, writer_seq LIMIT $3
"""
_BY_HASH = """
SELECT writer, coalesce(writer_seq, seq) AS pos FROM disclosures WHERE row_hash = $1 LIMIT 1
"""


def chain_name(writer: str | None) -> str:
    """How the report names a chain."""
    return "first chain (v1)" if writer is None else f"writer {writer}"


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """What is wrong at one row; ``seq`` is the row's position in ``writer``'s chain as it
    is now (``writer`` None: the first chain, positioned by ``seq``)."""

    seq: int
    kind: ProblemKind
    detail: str
    writer: str | None = None


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last row of one chain as the walk found it."""

    writer: str | None
    seq: int
    head: bytes
    rows: int


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """``chains``: the head of each chain walked; ``checkpoints``: the signed checkpoints
    of this log that were checked; ``last_checkpoint``: the latest one that still holds."""

    rows: int
    chains: tuple[ChainHead, ...] = ()
    problems: tuple[ChainProblem, ...] = field(default_factory=tuple)
    checkpoints: int = 0
    last_checkpoint: Checkpoint | None = None
    checkpoint_problems: tuple[CheckpointProblem, ...] = field(default_factory=tuple)

    @property
    def intact(self) -> bool:
        return not self.problems and not self.checkpoint_problems

    def head(self, writer: str | None) -> ChainHead | None:
        """The head of ``writer``'s chain, if it has rows."""
        return next((c for c in self.chains if c.writer == writer), None)


class _Walk:
    """The state of one pass over every chain."""

    def __init__(self, conn: Connection, wanted: set[tuple[str | None, int]]) -> None:
        self.conn = conn
        self.wanted = wanted
        self.problems: list[ChainProblem] = []
        self.seen: dict[tuple[str | None, int], bytes] = {}
        self.heads: list[ChainHead] = []
        self.rows = 0
        self._prev: asyncpg.Record | None = None
        self._count = 0

    async def row(self, r: asyncpg.Record) -> None:
        prev = self._prev
        if prev is not None and prev["writer"] != r["writer"]:
            self.end_chain()
            prev = None
        self.problems += await _check(self.conn, r, prev)
        key = (r["writer"], r["pos"])
        if key in self.wanted:
            self.seen[key] = bytes(r["row_hash"])
        self._prev = r
        self._count += 1
        self.rows += 1

    def end_chain(self) -> None:
        r = self._prev
        if r is not None:
            self.heads.append(ChainHead(r["writer"], r["pos"], bytes(r["row_hash"]), self._count))
        self._prev = None
        self._count = 0


async def verify_chain(
    conn: Connection, batch: int = 10_000, checkpoint_lines: Sequence[str] | None = None
) -> VerifyResult:
    """Check every row of ``disclosures``, chain by chain, and, given the checkpoint
    sink's lines, every checkpoint (which needs a login that may read the signing
    keys); see the module docstring."""
    checkpoints: list[tuple[int, Checkpoint]] = []
    line_problems: list[CheckpointProblem] = []
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
        walk = _Walk(conn, {(c.writer, c.seq) for _, c in checkpoints})
        after = 0
        while True:
            records = await conn.fetch(_FIRST_CHAIN, after, batch)
            for r in records:
                await walk.row(r)
                after = r["seq"]
            if len(records) < batch:
                break
        walk.end_chain()
        writer, position = "", 0
        while True:
            records = await conn.fetch(_WRITER_CHAINS, writer, position, batch)
            for r in records:
                await walk.row(r)
                writer, position = r["writer"], r["pos"]
            if len(records) < batch:
                break
        walk.end_chain()
    heads = {h.writer: h.seq for h in walk.heads}
    problems = walk.problems + _against_checkpoints(checkpoints, walk.seen, heads)
    holding = [c for _, c in checkpoints if walk.seen.get((c.writer, c.seq)) == c.head]
    return VerifyResult(
        walk.rows,
        tuple(walk.heads),
        tuple(problems),
        checkpoints=len(checkpoints),
        last_checkpoint=max(holding, key=lambda c: (c.at, c.seq), default=None),
        checkpoint_problems=tuple(sorted(line_problems, key=lambda p: p.line)),
    )


def _against_checkpoints(
    checkpoints: list[tuple[int, Checkpoint]],
    seen: dict[tuple[str | None, int], bytes],
    heads: dict[str | None, int],
) -> list[ChainProblem]:
    holding = sorted(
        (c.writer or "", c.seq) for _, c in checkpoints if seen.get((c.writer, c.seq)) == c.head
    )
    found: list[ChainProblem] = []
    reported: set[tuple[str | None, int, bytes]] = set()
    ordered = sorted(checkpoints, key=lambda lc: (lc[1].writer or "", lc[1].seq, lc[0]))
    for line, c in ordered:
        now = seen.get((c.writer, c.seq))
        if now == c.head or (c.writer, c.seq, c.head) in reported:
            continue
        reported.add((c.writer, c.seq, c.head))
        when = f"the checkpoint of {c.claims()['at']} (line {line})"
        below = [s for w, s in holding if w == (c.writer or "") and s < c.seq]
        start = below[-1] + 1 if below else 1
        head_seq = heads.get(c.writer)
        if now is None and (head_seq is None or c.seq > head_seq):
            detail = (
                f"{when} vouches for seq {c.seq}, but the chain now ends at seq {head_seq or 0}:"
                " rows were cut from its end"
            )
            found.append(ChainProblem(c.seq, "truncated", detail, c.writer))
        elif now is None:
            detail = f"{when} vouches for it; it is gone"
            found.append(ChainProblem(c.seq, "removed", detail, c.writer))
        else:
            span = f"seq {start}–{c.seq}" if start < c.seq else f"seq {c.seq}"
            detail = (
                f"{when} holds its sha256 {c.head.hex()[:16]}…, it is now {now.hex()[:16]}…:"
                f" a row in {span} was rewritten and the hashes after it recomputed"
            )
            found.append(ChainProblem(c.seq, "rewritten", detail, c.writer))
    return found


async def _check(
    conn: Connection, r: asyncpg.Record, prev: asyncpg.Record | None
) -> list[ChainProblem]:
    seq: int = r["pos"]
    writer: str | None = r["writer"]
    found: list[ChainProblem] = []
    expected_seq = prev["pos"] + 1 if prev else 1
    if seq != expected_seq:
        missing = str(expected_seq) if seq - 1 == expected_seq else f"{expected_seq}–{seq - 1}"
        found.append(ChainProblem(seq, "removed", f"seq {missing} missing before it", writer))
    expected_prev = bytes(prev["row_hash"]) if prev else GENESIS
    link = bytes(r["prev_hash"])
    if link != expected_prev:
        found += await _broken_link(conn, r, link, prev, gap=seq != expected_seq)
    if stored_row_hash(r) != bytes(r["row_hash"]):
        detail = "its content does not match its row_hash"
        found.append(ChainProblem(seq, "altered", detail, writer))
    return found


async def _broken_link(
    conn: Connection, r: asyncpg.Record, link: bytes, prev: asyncpg.Record | None, *, gap: bool
) -> list[ChainProblem]:
    seq: int = r["pos"]
    writer: str | None = r["writer"]
    if link == GENESIS:
        return [ChainProblem(seq, "reordered", "it was written as the first row", writer)]
    before = await conn.fetchrow(_BY_HASH, link)
    if before is not None:
        where = "" if before["writer"] == writer else f" of the {chain_name(before['writer'])}"
        detail = f"it was written right after the row now at seq {before['pos']}{where}"
        return [ChainProblem(seq, "reordered", detail, writer)]
    if gap:  # the missing seq already says it
        return []
    after = f"seq {prev['pos']}" if prev else "the start"
    return [
        ChainProblem(
            seq,
            "removed",
            f"the row written before it is gone: a row after {after} was removed,"
            " or the row before it was rewritten with a new hash",
            writer,
        )
    ]
