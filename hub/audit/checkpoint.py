"""Signed checkpoints of the disclosure chain's head, kept outside the hub database.

A hash chain proves its rows consistent with each other, not that they are the rows
first written: whoever may rewrite the table (its owner, a superuser) can rewrite its
tail and recompute every hash after it, and the walk still passes. So the serving hub
notes the chain's head from time to time, signs the note with its signing key (the
one its JWTs are signed with) and appends it to a sink outside the database, by
default the JSON-lines file ``<data_dir>/audit-checkpoints.jsonl`` (``[audit]
checkpoint_file``; point it at storage the database's administrators cannot write,
and copy it off the host). ``citizen-hub audit verify`` then checks each checkpoint:
its signature against the public keys the hub keeps (retired ones included), and that
the row at its ``seq`` still has its hash. A rewritten row, or a row cut from the end
below a checkpointed ``seq``, is reported even when the chain itself is consistent.

A line of the file, one checkpoint::

    {"chain": "<disclosure_chain.chain_id>", "seq": 1234, "head": "<row_hash, hex>",
     "at": "2025-01-31T08:00:00.000000Z", "kid": "<signing key>", "jws": "<compact JWS>"}

The JWS (protected header ``alg``, ``kid``, ``typ`` :data:`CHECKPOINT_TYP`) signs the
canonical JSON of ``chain``, ``seq``, ``head`` and ``at``; the readable copies beside it
must match it. Rows written after the latest checkpoint are vouched for by the chain
alone until the next one.

Writing: :class:`CheckpointWriter` (``start``/``stop`` while the hub serves, every
``[audit] checkpoint_seconds``, and once more at shutdown), or ``citizen-hub audit
checkpoint`` on demand.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

import asyncpg
from joserfc import jws
from joserfc.errors import JoseError

from hub.auth.errors import KeyStoreError
from hub.auth.tokens import signing_keys
from hub.settings import SIGNING_ALGS

if TYPE_CHECKING:
    from aiohttp import web
    from joserfc.jwk import Key

    from hub.migrate import Connection
    from hub.settings import AuthSettings, Settings

log = logging.getLogger(__name__)

#: The ``typ`` header of a checkpoint's JWS: no access token is ever taken for one.
CHECKPOINT_TYP: Final = "citizen-hub-audit-checkpoint"
CHECKPOINT_FILE: Final = "audit-checkpoints.jsonl"
_FIELDS: Final = ("chain", "seq", "head", "at")
_WRITE_TIMEOUT: Final = 30.0

_HEAD = """
SELECT c.chain_id::text AS chain, d.seq, d.row_hash
FROM disclosure_chain c
LEFT JOIN LATERAL (SELECT seq, row_hash FROM disclosures ORDER BY seq DESC LIMIT 1) d ON true
"""
CHAIN_ID = "SELECT chain_id::text FROM disclosure_chain"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain ``chain`` had ``head`` as the hash of its row ``seq`` at ``at``."""

    chain: str
    seq: int
    head: bytes
    at: datetime

    def claims(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "seq": self.seq,
            "head": self.head.hex(),
            "at": self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }


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


async def take_checkpoint(conn: Connection, auth: AuthSettings) -> tuple[Checkpoint, str] | None:
    """The chain's head now and its signed line; None while the log is empty.

    ``conn`` is a hub-database connection that may read the signing keys (the hub's
    login, not the disclosure log's writer).
    """
    row = await conn.fetchrow(_HEAD)
    if row is None or row["seq"] is None:
        return None
    key = await signing_keys(auth).active(conn)
    checkpoint = Checkpoint(row["chain"], row["seq"], bytes(row["row_hash"]), datetime.now(UTC))
    return checkpoint, sign_checkpoint(checkpoint, key)


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
        checkpoint = Checkpoint(
            chain=_typed(claims["chain"], str),
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
    if {k: line.get(k) for k in _FIELDS} != checkpoint.claims():
        raise _LineError("bad signature", "its readable fields differ from what was signed")
    return checkpoint


def _typed(value: object, kind: type[Any]) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(value)
    return value


def _canonical(claims: Mapping[str, Any]) -> bytes:
    return json.dumps(claims, sort_keys=True, separators=(",", ":")).encode("utf-8")


class CheckpointWriter:
    """Checkpoints the chain's head every ``seconds`` while started, and once at ``stop``.

    ``pool`` is the hub's own pool (its login reads the signing keys); a head already
    checkpointed by this writer is not written again. Failures are logged, never raised:
    the next round tries again.
    """

    def __init__(
        self, pool: asyncpg.Pool, auth: AuthSettings, sink: CheckpointSink, seconds: float
    ) -> None:
        self.pool = pool
        self.auth = auth
        self.sink = sink
        self.seconds = seconds
        self._last: tuple[str, int, bytes] | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, pool: asyncpg.Pool, settings: Settings) -> CheckpointWriter:
        sink = FileSink(checkpoint_path(settings))
        return cls(pool, settings.auth, sink, settings.audit.checkpoint_seconds)

    async def write(self) -> Checkpoint | None:
        """Checkpoint the head now, unless empty or unchanged; raises on failure."""
        async with self._lock:
            async with self.pool.acquire() as conn:
                taken = await take_checkpoint(conn, self.auth)
            if taken is None:
                return None
            checkpoint, line = taken
            head = (checkpoint.chain, checkpoint.seq, checkpoint.head)
            if head == self._last:
                return None
            await asyncio.to_thread(self.sink.append, line)
            self._last = head
            return checkpoint

    def start(self) -> None:
        """Checkpoint now and every ``seconds`` in a background task."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="audit-checkpoints")

    async def stop(self, within: float = 10.0) -> None:
        """Stop the task and write a last checkpoint (in at most ``within`` seconds)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._write_logged(within)

    async def _run(self) -> None:
        while True:
            await self._write_logged(_WRITE_TIMEOUT)
            await asyncio.sleep(self.seconds)

    async def _write_logged(self, within: float) -> None:
        try:
            async with asyncio.timeout(within):
                checkpoint = await self.write()
        except (OSError, TimeoutError, asyncpg.PostgresError, KeyStoreError) as exc:
            log.error("disclosure log not checkpointed to %s (%s)", self.sink.name, _reason(exc))
            return
        except asyncpg.InterfaceError as exc:  # the pool is closing or closed
            log.error("disclosure log not checkpointed (%s)", type(exc).__name__)
            return
        except Exception:  # never let the task die: the next round tries again
            log.exception("disclosure log not checkpointed to %s", self.sink.name)
            return
        if checkpoint is not None:
            log.info("disclosure log checkpointed at seq %d to %s", checkpoint.seq, self.sink.name)


def checkpoint_context(
    settings: Settings, hub_pool: web.AppKey[asyncpg.Pool]
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp ``cleanup_ctx`` running a :class:`CheckpointWriter` on ``app[hub_pool]``.

    Append it after the context that opens the hub pool (and after the OAuth routes,
    whose startup creates the first signing key), so it stops before the pool closes.
    """

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        writer = CheckpointWriter.from_settings(app[hub_pool], settings)
        writer.start()
        try:
            yield
        finally:
            await writer.stop()

    return ctx


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, KeyStoreError | OSError):
        return str(exc)
    state = getattr(exc, "sqlstate", None)
    return f"{type(exc).__name__}, SQLSTATE {state}" if state else type(exc).__name__
