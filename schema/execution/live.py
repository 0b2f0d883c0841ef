"""Subscriptions: a ticket's state now, then each change, for as long as the caller may see it.

A subscription is decided like any operation (scope, purpose); when it starts it
checks that the ticket is the caller's to follow (a citizen: its own, or its
child's; a partner with ``antrian:read``: any), records that disclosure once, and
then follows the hub's :class:`~connectors.antrian.feed.TicketFeed`: the Antrian
trigger's notifications, or polling where the trigger is absent. A change to
another ticket of the same queue moves this one's position, so it is sent too.
While Antrian cannot be reached the caller receives a SOURCE_UNAVAILABLE error
naming ANTRIAN, and the ticket again when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from connectors.antrian import reads as antrian_reads
from connectors.antrian.feed import FeedUnavailable
from connectors.antrian.records import QueueTicket, TicketStatus
from connectors.apk import reads as apk_reads
from connectors.apk.records import DistrictRequest, RequestStatus
from connectors.base import Source
from schema.doubts import in_doubt
from schema.errors import Forbidden, LimitExceeded, SourceError, SourceUnavailable
from schema.viewing import disclose

if TYPE_CHECKING:
    from connectors.antrian.feed import TicketFeed
    from schema.federation import Federation

# Once a request is here, nothing more happens to it.
FINAL_REQUEST = frozenset({RequestStatus.COMPLETED, RequestStatus.REJECTED})
REQUEST_POLL_SECONDS = 5.0
# Live subscriptions one caller may hold in this process: each holds a feed watch or
# polls a database, and a caller may open any number of sockets.
MAX_SUBSCRIPTIONS_PER_CALLER = 20
_open: dict[str, int] = {}
# Once a ticket is here, nothing more happens to it.
FINAL = frozenset({TicketStatus.SERVED, TicketStatus.CANCELLED, TicketStatus.NO_SHOW})


class Live:
    """The subscriptions of one operation."""

    def __init__(
        self,
        federation: Federation,
        feed: TicketFeed | None,
        record: Callable[[], Awaitable[None]],
        refuse: Callable[[int, str], None],
        may_act_for: Callable[[str], Awaitable[bool]],
        poll_seconds: float | None = None,
    ) -> None:
        self.federation = federation
        self.feed = feed
        self.record = record
        self.refuse = refuse  # closes a socket: 4403 when the ticket is not the caller's
        self.poll_seconds = poll_seconds or REQUEST_POLL_SECONDS
        self.may_act_for = may_act_for  # a citizen: itself and its minor children

    async def queue_ticket(self, ticket_id: str) -> AsyncIterator[QueueTicket | SourceUnavailable]:
        """See :meth:`_queue_ticket`; counted against the caller's live subscriptions."""
        async with self._counted():
            async for update in self._queue_ticket(ticket_id):
                yield update

    async def district_request(self, number: str) -> AsyncIterator[DistrictRequest | SourceError]:
        """See :meth:`_district_request`; counted against the caller's live subscriptions."""
        async with self._counted():
            async for update in self._district_request(number):
                yield update

    @contextlib.asynccontextmanager
    async def _counted(self) -> AsyncIterator[None]:
        viewer = self.federation.viewer
        key = viewer.limit_key if viewer is not None else "anonymous"
        if _open.get(key, 0) >= MAX_SUBSCRIPTIONS_PER_CALLER:
            raise LimitExceeded(
                f"at most {MAX_SUBSCRIPTIONS_PER_CALLER} live subscriptions at once;"
                " complete one before starting another",
                limit="subscriptions",
                maximum=MAX_SUBSCRIPTIONS_PER_CALLER,
            )
        _open[key] = _open.get(key, 0) + 1
        try:
            yield
        finally:
            _open[key] -= 1
            if not _open[key]:
                del _open[key]

    async def _queue_ticket(self, ticket_id: str) -> AsyncIterator[QueueTicket | SourceUnavailable]:
        """The ticket now, then again at each change of it or of its queue, until it is
        over (served, cancelled, no-show) or the caller goes."""
        ticket = await self._ticket(ticket_id)
        if ticket is None or not await self._may_follow(ticket.nik, "queueTickets", ticket):
            self.refuse(4403, "not a ticket of yours")
            raise Forbidden(
                "no such ticket of yours (or of a child on your family card)",
                reason="not_own_data",
            )
        if ticket.nik is not None:
            disclose(self.federation.disclosed, ticket.nik, {"queueTicket"}, "ANTRIAN")
        await self.record()
        if self.feed is None or ticket.status in FINAL:
            yield ticket
            return
        # Watch first, then read what is sent first: a change made in between still
        # arrives (the feed reports what changes after the watch began).
        queue = (ticket.service_code, ticket.visit_date)
        async with self.feed.watch(tickets=[ticket_id], queues=[queue]) as changes:
            yield await self._ticket(ticket_id) or ticket
            async for event in changes:
                if isinstance(event, FeedUnavailable):
                    yield SourceUnavailable(Source.ANTRIAN, event.reason)
                    continue
                now = await self._ticket(ticket_id)
                if now is None:
                    return
                yield now  # its own change, or the queue ahead of it moving
                if now.status in FINAL:
                    return

    async def _district_request(self, number: str) -> AsyncIterator[DistrictRequest | SourceError]:
        """The request now, then again whenever its status moves, until it is completed or
        rejected. APK has no feed: the request is read again every ``poll_seconds``."""
        request = await self._request(number)
        if request is None or not await self._may_follow(request.nik, "districtRequests", request):
            self.refuse(4403, "not a request of yours")
            raise Forbidden(
                "no such request of yours (or of a child on your family card)",
                reason="not_own_data",
            )
        disclose(self.federation.disclosed, request.nik, {"districtRequest"}, "APK")
        await self.record()
        yield request
        last: DistrictRequest | SourceError = request
        while request.status not in FINAL_REQUEST:
            await asyncio.sleep(self.poll_seconds)
            try:
                request = await self._request(number) or request
            except SourceError as down:
                if not isinstance(last, SourceError):
                    yield down  # said once; the request comes again when APK is back
                last = down
                continue
            if request != last:
                yield request
                last = request

    async def _request(self, number: str) -> DistrictRequest | None:
        found = await self.federation.read(Source.APK, apk_reads.requests_by_number, [number])
        return found.get(number)

    async def _ticket(self, ticket_id: str) -> QueueTicket | None:
        found = await self.federation.read(Source.ANTRIAN, antrian_reads.tickets_by_id, [ticket_id])
        return found.get(ticket_id)

    async def _may_follow(self, nik: str | None, field: str, record: object) -> bool:
        viewer = self.federation.viewer
        if viewer is None:
            return False
        if nik is None:  # a walk-in known by phone: an officer's, not a citizen's
            return not viewer.is_citizen
        return (
            self.federation.gate.admits(nik)
            and await self.may_act_for(nik)
            # The NIK typed on it may be someone else's: what the field would leave out
            # of this citizen's data is not followed as theirs either.
            and not await in_doubt(self.federation, field, nik, record)
        )
