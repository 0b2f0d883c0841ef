"""The root Subscription: live state over websockets (graphql-transport-ws)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from schema.antrian.types import QueueTicket
from schema.apk.types import DistrictRequest
from schema.context import Info


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="A queue ticket now, then at each change: called to a loket, served,"
        " skipped, cancelled, and as the people ahead are called (antrian:read; a citizen"
        " follows its own tickets and its children's). While ANTRIAN cannot be reached an"
        " error names it, and the ticket comes again when it is back."
    )
    async def queue_ticket(
        self, info: Info, ticket_id: strawberry.ID
    ) -> AsyncGenerator[QueueTicket, None]:
        # A SourceUnavailable yielded is answered as that event's error; the stream goes on.
        update: Any
        async for update in info.context.live.queue_ticket(str(ticket_id)):
            yield update

    @strawberry.subscription(
        description="A district request now, then at each change of its status, until it is"
        " completed or rejected (apk:read; a citizen follows its own and its children's)."
    )
    async def district_request(
        self, info: Info, number: str
    ) -> AsyncGenerator[DistrictRequest, None]:
        update: Any
        async for update in info.context.live.district_request(number):
            yield update
