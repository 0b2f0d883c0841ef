"""Writes: what a mutation does once the operation's decision allowed it.

Each write goes to its product through the source guard (timeout, circuit
breaker), under an idempotency key namespaced by the caller, for a citizen the
decision admitted, and is noted as a disclosure (what was written, about whom)
only once the product has committed it: the pipeline then charges and records it
before the answer leaves. A refusal (:class:`~connectors.base.WriteRefused`)
becomes BAD_USER_INPUT naming the field and the rule, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from connectors.antrian import reads as antrian_reads
from connectors.antrian import writes as antrian_writes
from connectors.antrian.records import BookingRequest, TicketChannel
from connectors.apk import writes as apk_writes
from connectors.apk.records import Attachment, SubmitRequest
from connectors.base import Source, WriteRefused
from connectors.idempotency import request_fingerprint
from connectors.siak import reads as siak_reads
from schema.doubts import in_doubt
from schema.errors import BadUserInput, Forbidden, SourceUnavailable
from schema.execution.ports import Relation
from schema.viewing import disclose

if TYPE_CHECKING:
    from connectors.antrian.records import QueueTicket
    from connectors.apk.records import DistrictRequest
    from connectors.idempotency import IdempotencyStore
    from schema.federation import Federation

IdempotencyStores = Callable[[str], "IdempotencyStore"]
T = TypeVar("T")
ADULT_AGE = 18


class Commands:
    """The writes of one operation; made with its Federation, sharing its gate and log."""

    def __init__(
        self,
        federation: Federation,
        stores: IdempotencyStores | None,
        acting_for: Mapping[str, str | None],
    ) -> None:
        self.federation = federation
        self.stores = stores
        # Per mutation field (response key): the NIK it acts for, as the decision said.
        self.acting_for = acting_for

    async def book_ticket(
        self,
        key: str,
        *,
        centre: str,
        service: str,
        day: date,
        phone: str,
        idempotency_key: str,
    ) -> QueueTicket:
        nik = self.acting_for.get(key)
        name = await self._adult_or_child(nik) if nik is not None else None
        viewer = self.federation.viewer
        channel = TicketChannel.ONLINE if viewer and viewer.is_citizen else TicketChannel.WALK_IN
        if viewer is not None and viewer.is_citizen and nik is None:
            raise Forbidden("a citizen books for itself or its child", reason="not_own_data")
        request = BookingRequest(
            centre_code=centre,
            service_code=service,
            visit_date=day,
            phone=phone,
            nik=nik,
            name=name,
            channel=channel,
            idempotency_key=self._namespaced(idempotency_key),
            fingerprint=request_fingerprint("book", centre, service, day, phone, nik),
        )
        store = self._store(antrian_writes.SCOPE)
        ticket = await self._write(
            Source.ANTRIAN,
            lambda db: antrian_writes.book_ticket(db, request, store=store),
            _BOOKING_INPUT,
        )
        if nik is not None:
            # What was written, where the citizen's access log will show it.
            disclose(self.federation.disclosed, nik, {f"bookQueueTicket:{ticket.id}"}, "ANTRIAN")
        return ticket

    async def cancel_ticket(self, ticket_id: str) -> QueueTicket:
        found = await self.federation.read(Source.ANTRIAN, antrian_reads.tickets_by_id, [ticket_id])
        ticket = found.get(ticket_id)
        viewer = self.federation.viewer
        if viewer is None or ticket is None:
            owned = False
        elif viewer.is_citizen:
            owned = (
                ticket.nik is not None
                and await self.may_act_for(ticket.nik)
                # Typed with this NIK, yet in doubt (another's ticket): not theirs to cancel.
                and not await in_doubt(self.federation, "queueTickets", ticket.nik, ticket)
            )
        else:
            # An officer cancels what officers book: walk-ins, never a citizen's own booking.
            owned = ticket.channel is TicketChannel.WALK_IN
        if ticket is None or not owned:
            # The same answer for a ticket that does not exist and one of someone else.
            raise Forbidden(
                "no such ticket of yours (or of a child on your family card)",
                reason="not_own_data",
            )
        cancelled = await self._write(
            Source.ANTRIAN,
            lambda db: antrian_writes.cancel_ticket(
                db,
                ticket_id,
                nik=ticket.nik,
                phone=None if ticket.nik is not None else ticket.phone,
            ),
            _BOOKING_INPUT,
        )
        if ticket.nik is not None:
            disclose(
                self.federation.disclosed, ticket.nik, {f"cancelQueueTicket:{ticket.id}"}, "ANTRIAN"
            )
        return cancelled

    async def submit_request(
        self,
        key: str,
        *,
        kecamatan: str,
        service_type: str,
        details: Mapping[str, str],
        attachments: Sequence[Attachment],
        phone: str | None,
        idempotency_key: str,
    ) -> DistrictRequest:
        nik = self.acting_for.get(key)
        if nik is None:
            raise BadUserInput(
                "forCitizen: a district request is always someone's; name them",
                rule="for_citizen_required",
                field="forCitizen",
            )
        name = await self._adult_or_child(nik)
        request = SubmitRequest(
            kecamatan_code=kecamatan,
            service_code=service_type,
            details=dict(details),
            attachments=tuple(attachments),
            nik=nik,
            name=name,
            phone=phone,
            idempotency_key=self._namespaced(idempotency_key),
            fingerprint=request_fingerprint(
                "submit",
                kecamatan,
                service_type,
                sorted(details.items()),
                [(a.name, a.size_bytes) for a in attachments],
                phone,
                nik,
            ),
        )
        store = self._store(apk_writes.SCOPE)
        submitted = await self._write(
            Source.APK,
            lambda db: apk_writes.submit_request(db, request, store=store),
            _REQUEST_INPUT,
        )
        disclose(
            self.federation.disclosed, nik, {f"submitDistrictRequest:{submitted.number}"}, "APK"
        )
        return submitted

    async def may_act_for(self, nik: str) -> bool:
        """Whether the caller acts for ``nik``: a partner for anyone its scopes allow; a
        citizen for itself and for its children on its card while they are minors."""
        viewer = self.federation.viewer
        if viewer is None:
            return False
        if not viewer.is_citizen:
            return True
        relation = self.federation.gate.relation(nik)
        if relation is Relation.SELF:
            return True
        if relation is not Relation.CHILD:
            return False
        profiles = await self.federation.read(Source.SIAK, siak_reads.profiles_by_nik, [nik])
        profile = profiles.get(nik)
        return profile is not None and _age(profile.birth_date) < ADULT_AGE

    async def _adult_or_child(self, nik: str) -> str:
        """The register's name of ``nik``; a citizen acts for a child only while a minor."""
        profiles = await self.federation.read(Source.SIAK, siak_reads.profiles_by_nik, [nik])
        profile = profiles.get(nik)
        if profile is None:
            raise BadUserInput(
                "forCitizen: SIAK does not know this citizen", rule="unknown", field="forCitizen"
            )
        if self.federation.gate.relation(nik) is Relation.CHILD and _age(profile.birth_date) >= (
            ADULT_AGE
        ):
            raise Forbidden(
                "forCitizen: a parent acts for a child only while the child is a minor",
                reason="adult_child",
                field="forCitizen",
            )
        return str(profile.full_name)

    def _namespaced(self, key: str) -> str:
        if not key or len(key) > 200:
            raise BadUserInput(
                "idempotencyKey: 1 to 200 characters, new for each new request",
                rule="idempotency_key",
                field="idempotencyKey",
            )
        viewer = self.federation.viewer
        owner = viewer.limit_key if viewer is not None else "hub"
        return f"{owner}/{key}"

    def _store(self, scope: str) -> IdempotencyStore:
        if self.stores is None:
            raise SourceUnavailable(Source.ANTRIAN, "no idempotency store is connected")
        return self.stores(scope)

    async def _write(
        self, source: Source, write: Callable[[Any], Awaitable[T]], names: Mapping[str, str]
    ) -> T:
        try:
            result: T = await self.federation.read(source, lambda db, _: write(db), ())
            return result
        except WriteRefused as refused:
            field = names.get(refused.field, _camel(refused.field))
            raise BadUserInput(f"{field}: {refused}", rule=refused.rule, field=field) from None


def _age(born: date | None) -> int:
    if born is None:
        return ADULT_AGE  # no birth date on record: not shown to be a minor
    today = date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


# The connectors' names of what they refuse, as each mutation's input calls them.
_BOOKING_INPUT = {
    "centre": "serviceCentreId",
    "service": "serviceId",
    "visit_date": "date",
    "nik": "forCitizen",
    "name": "forCitizen",
}
_REQUEST_INPUT = {
    "service": "serviceType",
    "service_code": "serviceType",
    "kecamatan_code": "kecamatan",
    "nik": "forCitizen",
    "name": "forCitizen",
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
