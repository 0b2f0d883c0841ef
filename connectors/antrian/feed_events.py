"""What a :class:`~connectors.antrian.feed.TicketFeed` tells its watchers: the events
(:class:`TicketChanged`, :class:`FeedUnavailable`, :class:`FeedRestored`) and
:class:`Watch`, one consumer's subscription, which keeps at most one pending event per
ticket (the latest) and one availability event, so a slow consumer never makes the feed
grow. All are importable from :mod:`connectors.antrian.feed` too.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from types import TracebackType
from typing import TYPE_CHECKING, TypeAlias

from connectors.antrian.records import TicketStatus

if TYPE_CHECKING:
    from connectors.antrian.feed import TicketFeed

QueueKey: TypeAlias = tuple[str, date]  # (service code, visit date)


@dataclass(frozen=True, slots=True)
class TicketChanged:
    """A watched ticket, or a ticket of a watched queue, was taken or changed; its state now."""

    ticket_id: str
    service_code: str
    visit_date: date
    status: TicketStatus
    counter: str | None  # kode_loket


@dataclass(frozen=True, slots=True)
class FeedUnavailable:
    """The Antrian database cannot be reached: no change arrives until :class:`FeedRestored`."""

    reason: str


@dataclass(frozen=True, slots=True)
class FeedRestored:
    """The database is back. Watched tickets that changed meanwhile arrive as
    :class:`TicketChanged`; anything else shown from Antrian should be read again."""


FeedEvent: TypeAlias = TicketChanged | FeedUnavailable | FeedRestored


class Watch:
    """What one consumer watches, and the events for it: use as ``async with`` and
    iterate. Iteration ends when the watch or its feed is closed."""

    def __init__(self, feed: TicketFeed, tickets: frozenset[int], queues: frozenset[QueueKey]):
        self.feed = feed
        self.tickets = tickets
        self.queues = queues
        self._pending: dict[object, FeedEvent] = {}
        self._wake = asyncio.Event()
        self._closed = False

    async def __aenter__(self) -> Watch:
        await self.feed._add(self)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop watching; iteration ends once the events already pending are read."""
        self.feed._remove(self)
        self._closed = True
        self._wake.set()

    def __aiter__(self) -> Watch:
        return self

    async def __anext__(self) -> FeedEvent:
        while not self._pending:
            if self._closed:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()
        key = next(iter(self._pending))
        return self._pending.pop(key)

    def wants(self, change: TicketChanged) -> bool:
        return (
            int(change.ticket_id) in self.tickets
            or (change.service_code, change.visit_date) in self.queues
        )

    def push(self, event: FeedEvent) -> None:
        # The latest per ticket, and the latest availability, in the order they came.
        key: object = event.ticket_id if isinstance(event, TicketChanged) else FeedUnavailable
        self._pending.pop(key, None)
        self._pending[key] = event
        self._wake.set()
