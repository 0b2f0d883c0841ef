"""Antrian's writes in the graph: book and cancel a queue ticket."""

from __future__ import annotations

import datetime as dt

import strawberry

from schema.antrian.types import QueueTicket
from schema.context import Info


@strawberry.input(description="A ticket to book at a service centre (Mal Pelayanan Publik)")
class BookQueueTicketInput:
    service_centre_id: strawberry.ID = strawberry.field(description="kode gerai, e.g. MPP01")
    service_id: strawberry.ID = strawberry.field(description="kode layanan, e.g. MPP01-A")
    date: dt.date = strawberry.field(description="the day of the visit (tanggal), WIB")
    phone: str = strawberry.field(description="nomor HP for the centre's reminders (08…)")
    for_citizen: strawberry.ID | None = strawberry.field(
        default=None,
        description="whom the ticket is for: a Citizen.id / FamilyMember.id this caller was"
        " shown (a parent for a minor child on its family card); left out, the caller itself"
        " (a partner officer: a walk-in known by phone only)",
    )
    idempotency_key: str = strawberry.field(
        description="a new key for each new booking: the same key again returns the first"
        " ticket, and with a different request is refused"
    )


async def book_queue_ticket(info: Info, input: BookQueueTicketInput) -> QueueTicket:
    return await info.context.commands.book_ticket(  # type: ignore[return-value]
        str(info.path.key),
        centre=str(input.service_centre_id),
        service=str(input.service_id),
        day=input.date,
        phone=input.phone,
        idempotency_key=input.idempotency_key,
    )


async def cancel_queue_ticket(info: Info, ticket_id: strawberry.ID) -> QueueTicket:
    return await info.context.commands.cancel_ticket(str(ticket_id))  # type: ignore[return-value]
