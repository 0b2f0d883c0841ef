"""Signed checkpoints of the disclosure chains' heads, kept outside the hub database.

A hash chain proves its rows consistent with each other, not that they are the rows
first written: whoever may rewrite the table (its owner, a superuser) can rewrite its
tail and recompute every hash after it, and the walk still passes. So each serving hub
process notes its own chain's head (:mod:`hub.audit.writer`: one chain per writer) from
time to time, signs the note with its signing key (the one its JWTs are signed with)
and appends it to a sink outside the database, by
default the JSON-lines file ``<data_dir>/audit-checkpoints.jsonl`` (``[audit]
checkpoint_file``; point it at storage the database's administrators cannot write,
and copy it off the host). ``citizen-hub audit verify`` then checks each checkpoint:
its signature against the public keys the hub keeps (retired ones included), and that
the row at its position in its chain still has its hash. A rewritten row, or a row cut
from the end below a checkpointed position, is reported even when the chain itself is
consistent.

A line of the file, one checkpoint::

    {"chain": "<disclosure_chain.chain_id>", "writer": "<writer id>", "seq": 1234,
     "head": "<row_hash, hex>", "at": "2025-01-31T08:00:00.000000Z",
     "kid": "<signing key>", "jws": "<compact JWS>"}

``chain`` names the hub database's log, ``writer`` the chain in it and ``seq`` the
row's ``writer_seq``; a checkpoint of the first chain (the rows written before there
were writers) has no ``writer``, and ``seq`` is the row's ``seq``. The JWS (protected
header ``alg``, ``kid``, ``typ`` :data:`CHECKPOINT_TYP`) signs the canonical JSON of
these fields and ``head`` and ``at``; the readable copies beside it must match it.
Rows written after a chain's latest checkpoint are vouched for by the chain alone
until the next one.

Writing: :class:`hub.audit.checkpoint_writer.CheckpointWriter` (while the hub serves,
every ``[audit] checkpoint_seconds`` and once more at shutdown, for the process's own
chain), or ``citizen-hub audit checkpoint`` on demand (every chain's head).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from joserfc import jws
from joserfc.errors import JoseError

from hub.auth.errors import KeyStoreError
from hub.auth.tokens import signing_keys
from hub.settings import SIGNING_ALGS

if TYPE_CHECKING:
    from joserfc.jwk import Key

    from hub.migrate import Connection
    from hub.settings import AuthSettings, Settings


#: The ``typ`` header of a checkpoint's JWS: no access token is ever taken for one.
CHECKPOINT_TYP: Final = "citizen-hub-audit-checkpoint"
CHECKPOINT_FILE: Final = "audit-checkpoints.jsonl"
_FIELDS: Final = ("chain", "writer", "seq", "head", "at")

# Every chain's head: the first chain's, then each writer's, found by skipping from one
# writer to the next along the (writer, writer_seq) index rather than reading every row.
_HEADS = """
WITH RECURSIVE writers AS (
    (SELECT writer FROM disclosures WHERE writer IS NOT NULL ORDER BY writer LIMIT 1)
    UNION ALL
    SELECT (SELECT d.writer FROM disclosures d WHERE d.writer > w.writer
            ORDER BY d.writer LIMIT 1)
    FROM writers w WHERE w.writer IS NOT NULL
)
SELECT c.chain_id::text AS chain, h.writer, h.seq, h.row_hash
FROM disclosure_chain c
CROSS JOIN LATERAL (
    (SELECT NULL::text AS writer, d.seq, d.row_hash FROM disclosures d
     WHERE d.writer IS NULL ORDER BY d.seq DESC LIMIT 1)
    UNION ALL
    SELECT w.writer, d.writer_seq, d.row_hash
    FROM writers w
    CROSS JOIN LATERAL (SELECT writer_seq, row_hash FROM disclosures
                        WHERE writer = w.writer ORDER BY writer_seq DESC LIMIT 1) d
    WHERE w.writer IS NOT NULL
) h
"""
# The head of one writer's chain.
_WRITER_HEAD = """
SELECT c.chain_id::text AS chain, d.writer, d.writer_seq AS seq, d.row_hash
FROM disclosure_chain c
CROSS JOIN LATERAL (SELECT writer, writer_seq, row_hash FROM disclosures
                    WHERE writer = $1 ORDER BY writer_seq DESC LIMIT 1) d
"""
CHAIN_ID = "SELECT chain_id::text FROM disclosure_chain"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain of ``writer`` in the log ``chain`` had ``head`` as the hash of its row
    ``seq`` at ``at`` (``writer`` None: the first chain)."""

    chain: str
    seq: int
    head: bytes
    at: datetime
    writer: str | None = None

    def claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {"chain": self.chain}
        if self.writer is not None:  # absent from the first chain's, as before writers
            claims["writer"] = self.writer
        claims["seq"] = self.seq
        claims["head"] = self.head.hex()
        claims["at"] = self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return claims


CheckpointProblemKind = Literal["unreadable", "bad signature", "unknown key", "other chain"]


@dataclass(frozen=True, slots=True)
class CheckpointProblem:
    """What is wrong with line ``line`` (from 1) of the checkpoint sink."""

    line: int
    kind: CheckpointProblemKind
    detail: str


class CheckpointSink(Protocol):
    """Where checkpoints are appended, and read back by ``audit verify``."""

    @property
    def name(self) -> str: ...

    def append(self, line: str) -> None: ...

    def read(self) -> list[str] | None:
        """Every line written so far, or None if the sink holds nothing yet."""
        ...


class FileSink:
    """A JSON-lines file, appended to (``O_APPEND``, one write and an fsync per line)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def name(self) -> str:
        return str(self.path)

    def append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> list[str] | None:
        try:
            return self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return None


def checkpoint_path(settings: Settings) -> Path:
    """``[audit] checkpoint_file``, or ``<data_dir>/audit-checkpoints.jsonl``."""
    return settings.audit.checkpoint_file or settings.data_dir / CHECKPOINT_FILE


def sign_checkpoint(checkpoint: Checkpoint, key: Key) -> str:
    """The sink's line for ``checkpoint``, signed with ``key`` (a private signing key)."""
    if key.alg not in SIGNING_ALGS or key.kid is None:
        raise KeyStoreError(f"signing key {key.kid} has no usable alg ({key.alg!r})")
    claims = checkpoint.claims()
    header = {"alg": key.alg, "kid": key.kid, "typ": CHECKPOINT_TYP}
    token = jws.serialize_compact(header, _canonical(claims), key, algorithms=[key.alg])
    return json.dumps({**claims, "kid": key.kid, "jws": token}, separators=(",", ":"))


async def take_checkpoints(
    conn: Connection, auth: AuthSettings, writer: str | None = None
) -> list[tuple[Checkpoint, str]]:
    """Each chain's head now, with its signed line (only ``writer``'s, if given); an
    empty list while there is no such row.

    ``conn`` is a hub-database connection that may read the signing keys (the hub's
    login, not the disclosure log's writer).
    """
    rows = await (conn.fetch(_HEADS) if writer is None else conn.fetch(_WRITER_HEAD, writer))
    if not rows:
        return []
    key = await signing_keys(auth).active(conn)
    now = datetime.now(UTC)
    taken = []
    for row in rows:
        checkpoint = Checkpoint(
            row["chain"], row["seq"], bytes(row["row_hash"]), now, writer=row["writer"]
        )
        taken.append((checkpoint, sign_checkpoint(checkpoint, key)))
    return taken


def read_checkpoints(
    lines: Iterable[str], keys: Mapping[str, Key]
) -> tuple[list[tuple[int, Checkpoint]], list[CheckpointProblem]]:
    """The checkpoints whose signature holds (with their line numbers), and the problem
    of every other non-blank line. ``keys``: the hub's public keys by kid."""
    good: list[tuple[int, Checkpoint]] = []
    problems: list[CheckpointProblem] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            good.append((number, _read_line(text, keys)))
        except _LineError as exc:
            problems.append(CheckpointProblem(number, exc.kind, exc.detail))
    return good, problems


class _LineError(Exception):
    def __init__(self, kind: CheckpointProblemKind, detail: str) -> None:
        super().__init__(detail)
        self.kind: CheckpointProblemKind = kind
        self.detail = detail


def _read_line(text: str, keys: Mapping[str, Key]) -> Checkpoint:
    try:
        line = json.loads(text)
        token = line["jws"]
        header = jws.extract_compact(token.encode("ascii")).headers()
    except (ValueError, KeyError, TypeError, AttributeError, JoseError):
        raise _LineError("unreadable", "not a checkpoint line (JSON with a compact JWS)") from None
    if header.get("typ") != CHECKPOINT_TYP:
        raise _LineError("unreadable", f"its JWS is not a checkpoint (typ {header.get('typ')!r})")
    kid = header.get("kid")
    key = keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise _LineError(
            "unknown key", f"signed with key {kid!r}, which the hub database does not hold"
        )
    if header.get("alg") != key.alg or key.alg not in SIGNING_ALGS:
        raise _LineError("bad signature", f"alg {header.get('alg')!r} is not key {kid}'s")
    try:
        signed = jws.deserialize_compact(token, key, algorithms=[key.alg])
        claims = json.loads(signed.payload)
        writer = claims.get("writer")
        checkpoint = Checkpoint(
            chain=_typed(claims["chain"], str),
            writer=None if writer is None else _typed(writer, str),
            seq=_typed(claims["seq"], int),
            head=bytes.fromhex(_typed(claims["head"], str)),
            at=datetime.strptime(_typed(claims["at"], str), "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=UTC
            ),
        )
    except JoseError:
        raise _LineError("bad signature", f"its signature does not verify with key {kid}") from None
    except (ValueError, KeyError, TypeError):
        raise _LineError("unreadable", "its signed content is not a checkpoint") from None
    readable = {k: line[k] for k in _FIELDS if k in line}
    if readable != checkpoint.claims():
        raise _LineError("bad signature", "its readable fields differ from what was signed")
    return checkpoint


def _typed(value: object, kind: type[Any]) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(value)
    return value


def _canonical(claims: Mapping[str, Any]) -> bytes:
    return json.dumps(claims, sort_keys=True, separators=(",", ":")).encode("utf-8")
