"""Tickets as they change: a live source for the hub's subscriptions.

:class:`TicketFeed` holds one dedicated connection to the Antrian database. When the
trigger of ``notify.sql`` is installed it LISTENs on ``antrian_tiket``; without it,
it polls, every ``poll_interval`` seconds, the tickets and queues someone watches,
and compares each row with what it saw last (status, counter, call and serve
times): one statement per round for every watcher of the instance, and exact for
every change, a cancellation (which sets no time) included. Every hub instance runs
its own feed: a notification reaches them all, and each polls for its own watchers.

When its connection breaks (the database restarted, the backend was killed), the
feed reconnects at once, then with a growing delay; every watcher is told the
source is unavailable (:class:`FeedUnavailable`) while no connection can be had,
and that it is back (:class:`FeedRestored`). On every new connection the feed
first re-reads what is watched, so a change made while it was away still arrives
as :class:`TicketChanged`.

::

    async with TicketFeed(dsn) as feed:
        async with feed.watch(tickets={"100231"}, queues={("MPP04-A", day)}) as changes:
            async for event in changes:
                ...

A watcher receives at most one pending event per ticket (the latest) and one
pending availability event, so a slow consumer never makes the feed grow.

This module holds the feed's connection loop; the events and :class:`Watch` are in
:mod:`connectors.antrian.feed_events`, reading and comparing the watched rows in
:mod:`connectors.antrian.feed_state`. Their public names are importable from here too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import asyncpg

from connectors.antrian.feed_events import (
    FeedEvent,
    FeedRestored,
    FeedUnavailable,
    QueueKey,
    TicketChanged,
    Watch,
)
from connectors.antrian.feed_state import TicketStates, read_states
from connectors.antrian.notify import CHANNEL, notify_installed
from connectors.base import DATABASE_ERRORS

if TYPE_CHECKING:
    from collections.abc import Collection

__all__ = [
    "APPLICATION_NAME",
    "FeedEvent",
    "FeedRestored",
    "FeedUnavailable",
    "Mode",
    "QueueKey",
    "TicketChanged",
    "TicketFeed",
    "Watch",
]

log = logging.getLogger(__name__)

Mode = Literal["starting", "listen", "poll", "down", "closed"]
APPLICATION_NAME = "citizen-hub ticket feed"


class TicketFeed:
    """A live source of Antrian ticket changes for the watchers of one hub instance.

    ``poll_interval``: seconds between two polls when there is no trigger.
    ``recheck_interval``: how often the feed checks, on an idle connection, that it
    still answers and whether the trigger was installed or removed meanwhile.
    ``backoff``: the first and the longest delay between two failed connections.
    """

    def __init__(
        self,
        dsn: str,
        *,
        poll_interval: float = 2.0,
        recheck_interval: float = 30.0,
        backoff: tuple[float, float] = (0.5, 30.0),
        connect_timeout: float = 5.0,
    ) -> None:
        self.dsn = dsn
        self.poll_interval = poll_interval
        self.recheck_interval = recheck_interval
        self.backoff = backoff
        self.connect_timeout = connect_timeout
        self.mode: Mode = "starting"
        self._watches: set[Watch] = set()
        self._states = TicketStates()
        self._notified: set[int] = set()
        self._wake = asyncio.Event()
        self._broken = False
        self._unavailable: FeedUnavailable | None = None
        self._conn: asyncpg.Connection[Any] | None = None
        self._conn_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> TicketFeed:
        self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()

    def start(self) -> None:
        """Connect and follow changes in the background (idempotent)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="antrian ticket feed")

    async def close(self) -> None:
        """Stop following, close the connection and end every watcher's iteration."""
        self.mode = "closed"
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for watch in list(self._watches):
            watch.close()

    def watch(self, tickets: Iterable[str] = (), queues: Iterable[QueueKey] = ()) -> Watch:
        """A watcher of ``tickets`` (ids) and of every ticket of ``queues`` (service, day);
        enter it with ``async with`` before iterating."""
        ids = frozenset(int(i) for i in tickets if i.isdigit() and len(i) < 19)
        return Watch(self, ids, frozenset(queues))

    async def _add(self, watch: Watch) -> None:
        self._watches.add(watch)
        if self._unavailable is not None:
            watch.push(self._unavailable)
            return
        # Read what it watches now, so a change from here on is told (and nothing before).
        async with self._conn_lock:
            if self._conn is not None:
                with contextlib.suppress(*DATABASE_ERRORS):
                    await self._read(self._conn, self._targets())

    def _remove(self, watch: Watch) -> None:
        self._watches.discard(watch)

    # The loop: connect, follow, and on a broken connection start again.

    async def _run(self) -> None:
        failures = crashes = 0
        while True:
            try:
                conn = await asyncpg.connect(
                    self.dsn,
                    timeout=self.connect_timeout,
                    server_settings={"application_name": APPLICATION_NAME},
                )
            except DATABASE_ERRORS as exc:
                failures += 1
                self._down(exc)
                await asyncio.sleep(self._delay(failures))
                continue
            failures = 0
            try:
                await self._follow(conn)
            except DATABASE_ERRORS as exc:
                # Try once more at once: a killed backend or a failover is back in a moment.
                log.info("ticket feed connection lost (%s); reconnecting", type(exc).__name__)
            except Exception as exc:
                # A bug of ours: said loudly, and the watchers are told, but the feed
                # keeps trying rather than leave them waiting for ever.
                log.exception("ticket feed failed")
                crashes += 1
                self._down(exc)
                await asyncio.sleep(self._delay(crashes))
            finally:
                await self._drop(conn)

    async def _follow(self, conn: asyncpg.Connection[Any]) -> None:
        self._broken = False
        self._conn = conn
        conn.add_termination_listener(self._on_terminated)
        async with self._conn_lock:
            listening = await notify_installed(conn)
            if listening:
                await conn.add_listener(CHANNEL, self._on_notify)
            # Whatever changed while no connection was listening.
            await self._read(conn, self._targets())
        self.mode = "listen" if listening else "poll"
        self._up()
        since_check = 0.0
        while True:
            wait = self.recheck_interval if listening else self.poll_interval
            woken = await self._sleep_until_woken(wait)
            if self._broken:
                raise ConnectionResetError("the feed's connection was closed")
            since_check += 0.0 if woken else wait
            async with self._conn_lock:
                if listening and self._notified:
                    ids, self._notified = self._notified, set()
                    if self._watches:
                        await self._read(conn, (list(ids), []), report_new=True)
                elif not listening and not woken:
                    await self._read(conn, self._targets())
                if since_check >= self.recheck_interval:
                    since_check = 0.0
                    # Answers (a dead connection raises here) and says which mode is right.
                    if await notify_installed(conn) != listening:
                        return

    async def _drop(self, conn: asyncpg.Connection[Any]) -> None:
        self._conn = None
        self._notified.clear()
        try:
            await asyncio.wait_for(conn.close(), timeout=1.0)
        except asyncio.CancelledError:
            conn.terminate()
            raise
        except Exception:  # a broken connection cannot say goodbye
            conn.terminate()

    async def _sleep_until_woken(self, seconds: float) -> bool:
        """Wait for a notification or a broken connection (True), at most ``seconds`` (False)."""
        try:
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        except TimeoutError:
            return False
        finally:
            self._wake.clear()
        return True

    def _on_notify(self, conn: object, pid: int, channel: str, payload: object) -> None:
        if isinstance(payload, str) and payload.isdigit():
            self._notified.add(int(payload))
            self._wake.set()

    def _on_terminated(self, conn: object) -> None:
        # A connection dropped before (ours, closed) may say so late: not the current one.
        if conn is self._conn:
            self._broken = True
            self._wake.set()

    def _delay(self, failures: int) -> float:
        first, longest = self.backoff
        delay = min(longest, first * 2 ** (failures - 1))
        # Instances restarted together should not all knock at the same moment.
        return float(delay * random.uniform(0.8, 1.2))

    def _down(self, exc: BaseException) -> None:
        self.mode = "down"
        if self._unavailable is None:
            reason = "connection refused" if isinstance(exc, ConnectionRefusedError) else ""
            self._unavailable = FeedUnavailable(
                f"the Antrian database cannot be reached ({reason or type(exc).__name__})"
            )
            log.warning("ticket feed: %s", self._unavailable.reason)
            self._tell(self._unavailable)

    def _up(self) -> None:
        if self._unavailable is not None:
            self._unavailable = None
            log.info("ticket feed: the Antrian database is back")
            self._tell(FeedRestored())

    def _tell(self, event: FeedEvent) -> None:
        """Push ``event`` to every watcher; a change only to those watching its ticket."""
        for watch in list(self._watches):
            if not isinstance(event, TicketChanged) or watch.wants(event):
                watch.push(event)

    # What is watched, read and compared (connectors.antrian.feed_state).

    def _targets(self) -> tuple[list[int], list[QueueKey]]:
        tickets: set[int] = set()
        queues: set[QueueKey] = set()
        for watch in self._watches:
            tickets |= watch.tickets
            queues |= watch.queues
        return list(tickets), list(queues)

    async def _read(
        self,
        conn: asyncpg.Connection[Any],
        targets: tuple[Collection[int], Collection[QueueKey]],
        *,
        report_new: bool = False,
    ) -> None:
        """Read ``targets``, tell the watchers what differs from the last read, remember it
        (:meth:`TicketStates.compare <connectors.antrian.feed_state.TicketStates.compare>`).
        """
        tickets, queues = targets
        if not tickets and not queues:
            return
        rows = await read_states(conn, tickets, queues)
        for change in self._states.compare(rows, self._targets(), report_new=report_new):
            self._tell(change)
