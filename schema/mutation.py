"""The root Mutation: every resolver hands its input to the operation's commands."""

from __future__ import annotations

import strawberry

from schema.antrian.mutations import book_queue_ticket, cancel_queue_ticket
from schema.apk.mutations import submit_district_request


@strawberry.type
class Mutation:
    book_queue_ticket = strawberry.mutation(
        resolver=book_queue_ticket,
        description="Book a queue ticket (antrian:write): numbered the centre's way (A-042)."
        " Refuses a closed, full or past day and a second active ticket for the same person,"
        " service and day.",
    )
    cancel_queue_ticket = strawberry.mutation(
        resolver=cancel_queue_ticket,
        description="Cancel a waiting ticket of the caller's own, or of its child (antrian:write)",
    )
    submit_district_request = strawberry.mutation(
        resolver=submit_district_request,
        description="Submit a request to a kecamatan office (apk:write), with its first status",
    )
