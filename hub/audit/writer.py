"""The group commit of the disclosure log: one writer per hub process, one statement per batch.

Every request that showed citizen data must have its rows durable before its answer
leaves. Appending them one request at a time meant a round trip, a lock and a hash loop
in plpgsql per request, serialised across every process. Here the requests of a process
hand their rows to its :class:`GroupWriter`; while one batch is on its way to the
database the next one gathers, and the writer sends it as soon as the first returns:
one statement for every request that arrived meanwhile. The writer chains the rows in
Python (:func:`hub.audit.chain.row_hash_v2`) onto its own chain, named by its writer
id, and ``disclosures_append`` checks and appends them; a request is released only
once the statement holding its rows has committed, and told
:class:`~schema.errors.AuditUnavailable` if it did not.

No lock is held across the round trip: a process's batches follow one another because
each chains onto the head the previous one wrote, and another process writes its own
chain. The writer task exists only while rows wait; :meth:`GroupWriter.close` sends
what is queued and refuses what comes after.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import orjson

from hub.audit.chain import GENESIS, row_hash_v2
from schema.errors import AuditUnavailable

if TYPE_CHECKING:
    from hub.audit.pool import HubPool

log = logging.getLogger(__name__)

#: Called after each batch is durable, with the number of requests it released and the
#: seconds its statement took (metrics hang here; an observer that raises is logged).
FlushObserver = Callable[[int, float], None]

_APPEND = "SELECT disclosures_append($1, $2, $3, $4::jsonb)"
_HEAD = """
SELECT writer_seq, row_hash, at FROM disclosures
WHERE writer = $1 ORDER BY writer_seq DESC LIMIT 1
"""
# A bound on one statement's size; a single request larger than this still goes alone.
MAX_BATCH_ROWS = 5000

UNAVAILABLE = (
    "the disclosure log could not be written, so no citizen data is returned; try again later"
)
CLOSING = "the hub is shutting down and writes no more disclosures; no citizen data is returned"


#: A row's chained values: request id, client id, subject, purpose, consent id, NIK,
#: sources, fields.
ChainedValues = tuple[
    str, str | None, str | None, str | None, str | None, str, tuple[str, ...], tuple[str, ...]
]


@dataclass(frozen=True, slots=True)
class Row:
    """One disclosure row as the writer chains it: what a request showed of one citizen."""

    request_id: str
    client_id: str | None
    subject: str | None
    purpose: str | None
    consent_id: str | None
    nik: str
    sources: tuple[str, ...]
    fields: tuple[str, ...]

    def chained(self) -> ChainedValues:
        """Its values in the order the chain hashes them after the writer and time
        (:func:`row_hash_v2`), which is also the order ``disclosures_append`` reads
        each row's JSON array in, before the row's hash."""
        return (
            self.request_id,
            self.client_id,
            self.subject,
            self.purpose,
            self.consent_id,
            self.nik,
            self.sources,
            self.fields,
        )


@dataclass(slots=True)
class _Waiting:
    rows: Sequence[Row]
    done: asyncio.Future[None]


def new_writer_id() -> str:
    """A writer id no other process has: host, process id and a random part."""
    host = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:60] or "host"
    return f"{host}/{os.getpid()}/{secrets.token_hex(4)}"


class GroupWriter:
    """Appends the rows of concurrent requests to this writer's chain, a batch at a time.

    ``writer_id``: the chain to continue (its head is read before the first append);
    by default a new chain. ``timeout`` bounds how long a request waits for its rows.
    ``statements`` counts the statements sent, for statement-count tests.
    """

    def __init__(
        self,
        pool: HubPool,
        *,
        writer_id: str | None = None,
        timeout: float = 5.0,
        on_flush: FlushObserver | None = None,
    ) -> None:
        self.pool = pool
        self.writer_id = writer_id or new_writer_id()
        self.timeout = timeout
        self.on_flush = on_flush
        self.statements = 0
        self._waiting: list[_Waiting] = []
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        # (writer_seq, row_hash, at) of the chain's head; None: unknown, read it first.
        self._head: tuple[int, bytes, datetime | None] | None = (
            (0, GENESIS, None) if writer_id is None else None
        )

    @property
    def closing(self) -> bool:
        return self._closing

    async def append(self, rows: Sequence[Row]) -> None:
        """Return once ``rows`` are durable in this writer's chain.

        Raises :class:`AuditUnavailable` when they are not (the statement failed, the
        wait passed ``timeout``, or the writer is closing): then no citizen data may
        leave. A request that timed out may still find its rows written later; the log
        then holds a disclosure whose answer was withheld, never the other way round.
        """
        if self._closing:
            raise AuditUnavailable(CLOSING)
        if not rows:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Retrieve the outcome even when its request stopped waiting, so a failed batch
        # is not reported again as an exception nobody retrieved.
        done.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._waiting.append(_Waiting(rows, done))
        if self._task is None:
            self._task = asyncio.create_task(self._drain(), name="disclosure-log-writer")
        try:
            await asyncio.wait_for(asyncio.shield(done), self.timeout)
        except TimeoutError:
            log.error("disclosure log: a request waited %.1f s for its batch", self.timeout)
            raise AuditUnavailable(UNAVAILABLE) from None

    async def close(self) -> None:
        """Send what is queued, then refuse new rows (with AuditUnavailable)."""
        self._closing = True
        task = self._task
        if task is not None:
            await asyncio.shield(task)

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._take()
                try:
                    seconds = await self._flush([r for w in batch for r in w.rows])
                except asyncio.CancelledError:
                    self._head = None
                    _refuse(batch)
                    raise
                except Exception as exc:
                    self._head = None  # it may have committed after all: read it again
                    log.error(
                        "disclosure log: a batch of %d requests not written (%s)",
                        len(batch),
                        _reason(exc),
                    )
                    _refuse(batch)
                    continue
                for w in batch:
                    if not w.done.done():
                        w.done.set_result(None)
                self._observe(len(batch), seconds)
        finally:
            self._task = None
            _refuse(self._waiting)  # only when the task itself was cancelled
            self._waiting.clear()

    def _take(self) -> list[_Waiting]:
        count, rows = 0, 0
        for w in self._waiting:
            if count and rows + len(w.rows) > MAX_BATCH_ROWS:
                break
            count += 1
            rows += len(w.rows)
        batch, self._waiting = self._waiting[:count], self._waiting[count:]
        return batch

    async def _flush(self, rows: list[Row]) -> float:
        """Chain ``rows`` onto the head and append them in one statement; its seconds."""
        async with self.pool.acquire(timeout=self.timeout) as conn:
            if self._head is None:
                self.statements += 1
                stored = await conn.fetchrow(_HEAD, self.writer_id, timeout=self.timeout)
                self._head = (
                    (0, GENESIS, None)
                    if stored is None
                    else (stored["writer_seq"], bytes(stored["row_hash"]), stored["at"])
                )
            seq, prev, last_at = self._head
            at = datetime.now(UTC)
            if last_at is not None and at < last_at:  # the clock stepped back
                at = last_at
            payload: list[list[object]] = []
            head = prev
            for r in rows:
                values = r.chained()
                head = row_hash_v2(head, self.writer_id, at, *values)
                payload.append([*values, head.hex()])
            started = time.perf_counter()
            self.statements += 1
            await conn.fetchval(
                _APPEND,
                self.writer_id,
                prev,
                at,
                orjson.dumps(payload).decode(),
                timeout=self.timeout,
            )
            seconds = time.perf_counter() - started
        self._head = (seq + len(rows), head, at)
        return seconds

    def _observe(self, requests: int, seconds: float) -> None:
        if self.on_flush is None:
            return
        try:
            self.on_flush(requests, seconds)
        except Exception:
            log.exception("disclosure log: the flush observer failed")


def _refuse(batch: Sequence[_Waiting]) -> None:
    for w in batch:
        if not w.done.done():
            w.done.set_exception(AuditUnavailable(UNAVAILABLE))


def error_class(exc: BaseException) -> str:
    """What a log line may say of a database error: its class and SQLSTATE, never the
    server's message, which may quote the row, NIK included."""
    state = getattr(exc, "sqlstate", None)
    return f"{type(exc).__name__}, SQLSTATE {state}" if state else type(exc).__name__


def _reason(exc: BaseException) -> str:
    # Beside the class and SQLSTATE, the append function's own words: they name the
    # writer and its position, never a row's content.
    reason = error_class(exc)
    message = str(exc)
    if message.startswith("disclosures_append: "):
        reason += f": {message.removeprefix('disclosures_append: ')}"
    return reason
