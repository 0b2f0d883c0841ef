"""The root Mutation: every resolver hands its input to the operation's commands."""

from __future__ import annotations

import strawberry

from schema.antrian.mutations import book_queue_ticket, cancel_queue_ticket
from schema.apk.mutations import submit_district_request
from schema.consents import revoke_consent
from schema.identity.review import accept_identity_link, reject_identity_link


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
    revoke_consent = strawberry.mutation(
        resolver=revoke_consent,
        description="Withdraw the citizen's consent to an app: its refresh tokens stop at once",
    )
    accept_identity_link = strawberry.mutation(
        resolver=accept_identity_link,
        description="Accept a link in doubt, or confirm a walk-in matched as certain"
        " (identity:steward), with the record's other identifiers for the same citizen, for a"
        " reason kept with the decision: it is served as the citizen's (to the citizen too)"
        " while its evidence stays what the steward saw",
    )
    reject_identity_link = strawberry.mutation(
        resolver=reject_identity_link,
        description="Reject a link in doubt, or a walk-in matched as certain"
        " (identity:steward), with the record's other identifiers for the same citizen, for a"
        " reason kept with the decision: removed now, and no later identity sync brings it back",
    )
    submit_district_request = strawberry.mutation(
        resolver=submit_district_request,
        description="Submit a request to a kecamatan office (apk:write), with its first status",
    )
