"""Antrian (queue system of the Mal Pelayanan Publik): centres and tickets, as GraphQL types."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import strawberry

from connectors.antrian import records
from schema.identity.enums import LinkMethod

strawberry.enum(records.TicketStatus, description="status tiket")
strawberry.enum(records.TicketChannel, description="sumber: booked online, or taken at the counter")


@strawberry.type(description="one day of a service: whether it opens and what is left")
class ServiceDay:
    day: dt.date = strawberry.field(name="date", description="tanggal")
    open: bool = strawberry.field(description="the centre opens and the day is not over")
    quota: int = strawberry.field(description="kuota harian")
    taken: int = strawberry.field(description="tickets held (waiting, called, served)")
    remaining: int = strawberry.field(description="tickets left to book; 0 when closed")


@strawberry.type(description="where a ticket stands in its day's queue")
class QueuePosition:
    ahead: int = strawberry.field(description="waiting tickets before this one")
    counters: int = strawberry.field(description="loket serving this service")

    @strawberry.field(description="estimated minutes until it is called; null once called")
    def estimated_wait_minutes(self) -> int | None:
        wait: dt.timedelta | None = self.estimated_wait  # type: ignore[attr-defined]
        return None if wait is None else round(wait.total_seconds() / 60)


@strawberry.type(description="layanan: a service offered at a centre")
class Service:
    code: str
    name: str = strawberry.field(description="nama layanan")
    agency: str = strawberry.field(description="instansi, e.g. Disdukcapil, Samsat")
    ticket_prefix: str = strawberry.field(description="huruf awalan nomor tiket")
    daily_quota: int = strawberry.field(description="kuota harian")

    @strawberry.field(
        description="remaining capacity for the coming days, from today (WIB): the daily"
        " quota minus tickets booked; read for every service of the answer in one statement"
    )
    async def capacity(self, info: strawberry.Info, days: int = 7) -> list[ServiceDay]:
        code: str = self.code
        found: list[ServiceDay] = await info.context.federation.capacity(code, days)
        return found


@strawberry.type(description="loket: a counter of a centre, serving one service")
class Counter:
    code: str = strawberry.field(description="kode loket")
    name: str = strawberry.field(description="nama loket, e.g. Loket 1")
    service_code: str = strawberry.field(description="the service it serves (kode layanan)")


@strawberry.type(description="gerai: a public service centre (Mal Pelayanan Publik)")
class ServiceCentre:
    code: str
    name: str
    address: str | None
    opening_days: str = strawberry.field(description="hari buka, as posted")
    open_weekdays: list[int] = strawberry.field(description="ISO weekdays open, 1 = Monday")
    opens_at: dt.time = strawberry.field(description="jam buka")
    closes_at: dt.time = strawberry.field(description="jam tutup")
    services: list[Service]
    counters: list[Counter] = strawberry.field(description="loket")


@strawberry.type(description="a centre or service named on a ticket")
class Named:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class MatchedTicket(records.QueueTicket):
    """A walk-in's ticket tied to a citizen by the identity crosswalk's phone match, not a NIK."""

    confidence: float = 0.0


@strawberry.type(description="tiket antrian: one queue ticket")
class QueueTicket:
    id: strawberry.ID
    number: str = strawberry.field(description="nomor tiket, e.g. A-042")
    visit_date: dt.date = strawberry.field(name="date", description="tanggal")
    agency: str = strawberry.field(description="instansi")
    counter: str | None = strawberry.field(description="loket, once called")
    status: records.TicketStatus
    channel: records.TicketChannel
    taken_at: dt.datetime = strawberry.field(description="waktu ambil")
    called_at: dt.datetime | None = strawberry.field(description="waktu panggil")
    served_at: dt.datetime | None = strawberry.field(description="waktu selesai")

    @strawberry.field(
        description="how the ticket was tied to this citizen: EXACT when it carries their NIK,"
        " MATCHED when a walk-in's phone was matched to them (see matchConfidence)"
    )
    def link(self) -> LinkMethod:
        return LinkMethod.MATCHED if isinstance(self, MatchedTicket) else LinkMethod.EXACT

    @strawberry.field(
        description="1 for a ticket carrying the NIK; for a walk-in matched by phone, how"
        " sure the match is (lower when several people give that phone)"
    )
    def match_confidence(self) -> float:
        return self.confidence if isinstance(self, MatchedTicket) else 1.0

    @strawberry.field(
        description="people ahead and the estimated wait, while the ticket waits (read for"
        " every ticket of the answer in one statement)"
    )
    async def position(self, info: strawberry.Info) -> QueuePosition | None:
        ticket_id: str = self.id
        found: QueuePosition | None = await info.context.federation.queue_position(ticket_id)
        return found

    @strawberry.field(description="the service centre (gerai)")
    def centre(self) -> Named:
        record: records.QueueTicket = self  # type: ignore[assignment]
        return Named(code=record.centre_code, name=record.centre_name)

    @strawberry.field(description="the service (layanan)")
    def service(self) -> Named:
        record: records.QueueTicket = self  # type: ignore[assignment]
        return Named(code=record.service_code, name=record.service_name)
