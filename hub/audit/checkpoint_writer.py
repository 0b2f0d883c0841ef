"""The serving hub's checkpoints of its own disclosure chain: every ``[audit]
checkpoint_seconds`` while it serves, and once more at shutdown, after its log has
written what it held (:mod:`hub.audit.checkpoint` says what a checkpoint is)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Final

import asyncpg

from hub.audit.checkpoint import (
    Checkpoint,
    CheckpointSink,
    FileSink,
    checkpoint_path,
    take_checkpoints,
)
from hub.audit.writer import error_class
from hub.auth.errors import KeyStoreError

if TYPE_CHECKING:
    from aiohttp import web

    from hub.audit.log import DisclosureLog
    from hub.settings import AuthSettings, Settings

log = logging.getLogger(__name__)

_WRITE_TIMEOUT: Final = 30.0


class CheckpointWriter:
    """Checkpoints a chain's head every ``seconds`` while started, and once at ``stop``.

    ``writer``: the chain of this process's disclosure log (``DisclosureLog.writer.
    writer_id``); None: every chain's head. ``pool`` is the hub's own pool (its login
    reads the signing keys); a head already checkpointed by this writer is not written
    again. Failures are logged, never raised: the next round tries again.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        auth: AuthSettings,
        sink: CheckpointSink,
        seconds: float,
        *,
        writer: str | None = None,
    ) -> None:
        self.pool = pool
        self.auth = auth
        self.sink = sink
        self.seconds = seconds
        self.writer = writer
        self._last: dict[str | None, tuple[str, int, bytes]] = {}
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(
        cls, pool: asyncpg.Pool, settings: Settings, writer: str | None = None
    ) -> CheckpointWriter:
        sink = FileSink(checkpoint_path(settings))
        seconds = settings.audit.checkpoint_seconds
        return cls(pool, settings.auth, sink, seconds, writer=writer)

    async def write(self) -> list[Checkpoint]:
        """Checkpoint the heads now, those not empty nor unchanged; raises on failure."""
        async with self._lock:
            async with self.pool.acquire() as conn:
                taken = await take_checkpoints(conn, self.auth, self.writer)
            written = []
            for checkpoint, line in taken:
                head = (checkpoint.chain, checkpoint.seq, checkpoint.head)
                if self._last.get(checkpoint.writer) == head:
                    continue
                await asyncio.to_thread(self.sink.append, line)
                self._last[checkpoint.writer] = head
                written.append(checkpoint)
            return written

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
                written = await self.write()
        except (OSError, TimeoutError, asyncpg.PostgresError, KeyStoreError) as exc:
            log.error("disclosure log not checkpointed to %s (%s)", self.sink.name, _reason(exc))
            return
        except asyncpg.InterfaceError as exc:  # the pool is closing or closed
            log.error("disclosure log not checkpointed (%s)", type(exc).__name__)
            return
        except Exception:  # never let the task die: the next round tries again
            log.exception("disclosure log not checkpointed to %s", self.sink.name)
            return
        for checkpoint in written:
            log.info(
                "disclosure log checkpointed: %s at seq %d to %s",
                checkpoint.writer or "the first chain",
                checkpoint.seq,
                self.sink.name,
            )


def checkpoint_context(
    settings: Settings,
    hub_pool: web.AppKey[asyncpg.Pool],
    log_of: Callable[[web.Application], DisclosureLog] | None = None,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp ``cleanup_ctx`` running a :class:`CheckpointWriter` on ``app[hub_pool]``.

    ``log_of``: the app's disclosure log, whose chain it checkpoints (by default every
    chain). At cleanup it closes that log first, so the last checkpoint covers every
    row the log wrote. Append it after the context that opens the hub pool (and after
    the OAuth routes, whose startup creates the first signing key), so it stops before
    the pool closes.
    """

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        log = None if log_of is None else log_of(app)
        writer_id = None if log is None else log.writer.writer_id
        writer = CheckpointWriter.from_settings(app[hub_pool], settings, writer_id)
        writer.start()
        try:
            yield
        finally:
            if log is not None:
                await log.close()
            await writer.stop()

    return ctx


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, KeyStoreError | OSError):
        return str(exc)
    return error_class(exc)
