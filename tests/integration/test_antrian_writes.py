"""Booking and cancelling Antrian tickets on a real PostgreSQL, as a citizen would notice.

The writes run on a copy of the test city's Antrian database of their own (the
shared one stays as seeded for the read tests), with the idempotency keys in a hub
database of their own. The clock is Monday 2 November 2026, 07:00 WIB.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import partial

import pytest

from connectors.antrian.capacity import queue_positions, service_days
from connectors.antrian.reads import WIB
from connectors.antrian.records import BookingRequest, TicketChannel, TicketStatus
from connectors.antrian.writes import (
    SCOPE,
    BookingRefused,
    CancelRefused,
    book_ticket,
    cancel_ticket,
)
from connectors.base import Source, SourceDB, WriteRefused
from connectors.city import REFERENCE_DATE, City
from connectors.idempotency import Claim, request_fingerprint
from hub.idempotency import PgIdempotencyStore
from tests.conftest import ScratchDatabases
from tests.integration.conftest import migrated_hub, refused_writing_nothing, seeded_product

MONDAY = date(2026, 11, 2)
NOW = datetime(2026, 11, 2, 7, 0, tzinfo=WIB)


def clock(moment: datetime = NOW) -> Callable[[], datetime]:
    return lambda: moment


@pytest.fixture(scope="module")
async def antrian(
    test_databases: ScratchDatabases, admin_dsn: str, city: City
) -> AsyncIterator[SourceDB]:
    async with seeded_product(
        test_databases, admin_dsn, city, Source.ANTRIAN, "writes_antrian"
    ) as db:
        yield db


@pytest.fixture(scope="module")
async def hub(test_databases: ScratchDatabases, admin_dsn: str) -> AsyncIterator[SourceDB]:
    async with migrated_hub(test_databases, admin_dsn, "writes_hub") as db:
        yield db


@pytest.fixture
def store(hub: SourceDB) -> PgIdempotencyStore:
    return PgIdempotencyStore(hub, SCOPE)


def request(
    person: int,
    city: City,
    *,
    service: str = "MPP01-A",
    day: date = MONDAY,
    centre: str = "MPP01",
    key: str | None = None,
    **changes: object,
) -> BookingRequest:
    """An online booking by the test city's ``person``-th adult, with a fresh key."""
    someone = city.adults()[person]
    base = BookingRequest(
        centre_code=centre,
        service_code=service,
        visit_date=day,
        phone=someone.phone or f"0812{person:08d}",
        nik=someone.nik,
        name=someone.name,
        channel=TicketChannel.ONLINE,
        idempotency_key=key or secrets.token_hex(8),
        fingerprint="",
    )
    made = replace(base, **changes)  # type: ignore[arg-type]
    fingerprint = request_fingerprint(
        made.centre_code, made.service_code, made.visit_date, made.phone, made.nik, made.name
    )
    return replace(made, fingerprint=fingerprint)


async def ticket_rows(db: SourceDB) -> int:
    rows = await db.fetch("SELECT count(*) AS n FROM tiket")
    n: int = rows[0]["n"]
    return n


async def test_fifty_simultaneous_bookings_get_consecutive_numbers_and_none_past_the_quota(
    antrian: SourceDB, store: PgIdempotencyStore, city: City
) -> None:
    # PBG (E) takes 60 a day; ten booked already leave room for exactly fifty.
    service = "MPP01-E"
    for n in range(10):
        await book_ticket(antrian, request(n, city, service=service), store=store, now=clock())
    before = await ticket_rows(antrian)
    started = time.perf_counter()
    results = await asyncio.gather(
        *(
            book_ticket(antrian, request(100 + n, city, service=service), store=store, now=clock())
            for n in range(51)
        ),
        return_exceptions=True,
    )
    elapsed = time.perf_counter() - started
    tickets = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(tickets) == 50
    assert [(r.field, r.rule) for r in refused if isinstance(r, BookingRefused)] == [
        ("visit_date", "fully_booked")
    ]
    numbers = sorted(t.number for t in tickets)
    assert numbers == [f"E-{n:03d}" for n in range(11, 61)]
    assert len({t.id for t in tickets}) == 50
    assert await ticket_rows(antrian) - before == 50
    (day,) = (await service_days(antrian, [service], days=1, now=clock()))[service]
    assert day.taken == day.quota == 60 and day.remaining == 0
    print(f"\n51 simultaneous bookings (50 written, 1 refused) in {elapsed:.2f}s")


async def test_ticket_numbers_continue_the_products_own_numbering(
    antrian: SourceDB, store: PgIdempotencyStore, city: City
) -> None:
    # The reference date's queue at the mall outlet, seeded "A-001" onwards.
    rows = await antrian.fetch(
        "SELECT nomor_tiket FROM tiket WHERE kode_layanan = 'MPP04-A' AND tanggal = $1",
        REFERENCE_DATE,
    )
    seeded = sorted(r["nomor_tiket"] for r in rows)
    assert seeded and all(re.fullmatch(r"A-\d{3}", n) for n in seeded)
    mid_morning = datetime.combine(REFERENCE_DATE, datetime.min.time(), WIB) + timedelta(hours=11)
    ticket = await book_ticket(
        antrian,
        request(300, city, service="MPP04-A", centre="MPP04", day=REFERENCE_DATE),
        store=store,
        now=clock(mid_morning),
    )
    assert ticket.number == f"A-{int(seeded[-1][2:]) + 1:03d}"
    assert ticket.status is TicketStatus.WAITING and ticket.channel is TicketChannel.ONLINE
    assert ticket.centre_name == "Gerai MPP Tangcity Mall" and ticket.counter is None
    assert ticket.taken_at == mid_morning


async def test_a_repeated_key_answers_with_the_first_ticket_and_writes_nothing(
    antrian: SourceDB, store: PgIdempotencyStore, city: City
) -> None:
    booking = request(400, city, service="MPP01-B")
    first = await book_ticket(antrian, booking, store=store, now=clock())
    before = await ticket_rows(antrian)
    again = await book_ticket(antrian, booking, store=store, now=clock())
    assert again == first
    assert await ticket_rows(antrian) == before


async def test_fifty_retries_of_one_key_at_once_write_one_ticket(
    antrian: SourceDB, store: PgIdempotencyStore, city: City
) -> None:
    booking = request(401, city, service="MPP01-C")
    before = await ticket_rows(antrian)
    tickets = await asyncio.gather(
        *(book_ticket(antrian, booking, store=store, now=clock()) for _ in range(50))
    )
    assert len({t.id for t in tickets}) == 1
    assert await ticket_rows(antrian) == before + 1


async def test_a_key_reused_for_another_booking_is_refused_and_writes_nothing(
    antrian: SourceDB, store: PgIdempotencyStore, city: City
) -> None:
    first = request(402, city, service="MPP01-D")
    await book_ticket(antrian, first, store=store, now=clock())
    other = request(403, city, service="MPP01-D", key=first.idempotency_key)
    before = await ticket_rows(antrian)
    with pytest.raises(BookingRefused) as refused:
        await book_ticket(antrian, other, store=store, now=clock())
    assert (refused.value.field, refused.value.rule) == (
        "idempotency_key",
        "idempotency_key_reused",
    )
    assert await ticket_rows(antrian) == before


class CrashingStore:
    """The real store, but the process "dies" (raises) at one step of the booking."""

    def __init__(self, store: PgIdempotencyStore, crash_at: str) -> None:
        self.store = store
        self.scope = store.scope
        self.crash_at = crash_at

    async def get(self, key: str) -> Claim | None:
        return await self.store.get(key)

    async def claim(self, key: str, fingerprint: str) -> Claim:
        return await self.store.claim(key, fingerprint)

    async def reserve(self, key: str, record: str) -> None:
        await self.store.reserve(key, record)
        if self.crash_at == "reserve":
            raise ConnectionResetError("crashed before the ticket committed")

    async def complete(self, key: str, record: str) -> None:
        if self.crash_at == "complete":
            raise ConnectionResetError("crashed after the ticket committed")
        await self.store.complete(key, record)


@pytest.mark.parametrize(("crash_at", "written"), [("reserve", 0), ("complete", 1)])
async def test_a_retry_after_a_crash_never_writes_a_second_ticket(
    antrian: SourceDB, store: PgIdempotencyStore, city: City, crash_at: str, written: int
) -> None:
    booking = request(410 + written, city, service="MPP01-F")
    before = await ticket_rows(antrian)
    with pytest.raises(ConnectionResetError):
        await book_ticket(antrian, booking, store=CrashingStore(store, crash_at), now=clock())
    assert await ticket_rows(antrian) == before + written
    # Someone else books meanwhile: the id a rolled-back attempt reserved is taken.
    await book_ticket(
        antrian, request(420 + written, city, service="MPP01-F"), store=store, now=clock()
    )
    retried = await book_ticket(antrian, booking, store=store, now=clock())
    again = await book_ticket(antrian, booking, store=store, now=clock())
    assert again == retried and retried.nik == city.adults()[410 + written].nik
    assert await ticket_rows(antrian) == before + 2


REFUSALS: list[tuple[dict[str, object], str, str]] = [
    ({"centre": "MPP99"}, "centre", "unknown_centre"),
    ({"service": "MPP01-Z"}, "service", "unknown_service"),
    ({"service": "MPP02-A"}, "service", "not_at_centre"),
    ({"visit_date": MONDAY - timedelta(days=1)}, "visit_date", "in_the_past"),
    ({"visit_date": MONDAY + timedelta(days=45)}, "visit_date", "too_far_ahead"),
    ({"visit_date": MONDAY + timedelta(days=5)}, "visit_date", "closed"),  # a Saturday
    ({"nik": None}, "nik", "required"),
    ({"nik": "3671 0199 9999 0001"}, "nik", "birth_date"),
    ({"nik": "12345"}, "nik", "length"),
    ({"phone": "021 555 1234"}, "phone", "prefix"),
    ({"phone": "0812"}, "phone", "length"),
    ({"name": "x" * 101}, "name", "too_long"),
    ({"idempotency_key": ""}, "idempotency_key", "length"),
]


@pytest.mark.parametrize(("changes", "field", "rule"), REFUSALS)
async def test_each_refusal_names_its_field_and_rule_and_writes_nothing(
    antrian: SourceDB,
    store: PgIdempotencyStore,
    city: City,
    changes: dict[str, object],
    field: str,
    rule: str,
) -> None:
    refused = await refused_writing_nothing(
        book_ticket(antrian, request(500, city, **changes), store=store, now=clock()),
        BookingRefused,
        partial(ticket_rows, antrian),
    )
    assert (refused.field, refused.rule) == (field, rule)
    assert isinstance(refused, WriteRefused)


async def test_an_inactive_service_and_a_day_already_over_are_refused(
    antrian: SourceDB, store: PgIdempotencyStore, city: City
) -> None:
    await antrian.fetch("UPDATE layanan SET aktif = false WHERE kode_layanan = 'MPP03-K'")
    before = await ticket_rows(antrian)
    with pytest.raises(BookingRefused, match="MPP03-K") as inactive:
        await book_ticket(
            antrian, request(501, city, centre="MPP03", service="MPP03-K"), store=store, now=clock()
        )
    assert inactive.value.rule == "inactive"
    evening = NOW.replace(hour=16, minute=30)
    with pytest.raises(BookingRefused) as over:
        await book_ticket(antrian, request(502, city), store=store, now=clock(evening))
    assert (over.value.field, over.value.rule) == ("visit_date", "closed")
    assert await ticket_rows(antrian) == before


async def test_a_second_active_ticket_for_the_same_person_and_day_is_refused(
    antrian: SourceDB, store: PgIdempotencyStore, city: City
) -> None:
    day = MONDAY + timedelta(days=1)
    first = await book_ticket(antrian, request(510, city, day=day), store=store, now=clock())
    someone = city.adults()[510]
    # The same NIK typed with separators is the same person.
    spaced = " ".join(someone.nik[i : i + 4] for i in range(0, 16, 4))
    before = await ticket_rows(antrian)
    with pytest.raises(BookingRefused) as refused:
        await book_ticket(
            antrian, request(510, city, day=day, nik=spaced), store=store, now=clock()
        )
    assert (refused.value.field, refused.value.rule) == ("nik", "already_booked")
    assert first.number not in refused.value.message
    assert await ticket_rows(antrian) == before
    # Once cancelled, the person may book again.
    await cancel_ticket(antrian, first.id, nik=someone.nik, now=clock())
    again = await book_ticket(antrian, request(510, city, day=day), store=store, now=clock())
    assert again.id != first.id


async def test_a_walk_in_booked_with_a_phone_only_is_one_per_phone_and_cancelled_by_phone(
    antrian: SourceDB, store: PgIdempotencyStore, city: City
) -> None:
    day = MONDAY + timedelta(days=2)
    walk_in = {"nik": None, "name": None, "channel": TicketChannel.WALK_IN, "day": day}
    ticket = await book_ticket(
        antrian, request(520, city, phone="+62 812-7777-0001", **walk_in), store=store, now=clock()
    )
    assert ticket.channel is TicketChannel.WALK_IN and ticket.nik is None
    assert ticket.phone == "081277770001"
    rows = await antrian.fetch(
        "SELECT sumber, nik, no_hp FROM tiket WHERE id_tiket = $1", int(ticket.id)
    )
    assert dict(rows[0]) == {"sumber": "WALKIN", "nik": None, "no_hp": "081277770001"}
    with pytest.raises(BookingRefused) as refused:
        await book_ticket(
            antrian, request(521, city, phone="6281277770001", **walk_in), store=store, now=clock()
        )
    assert (refused.value.field, refused.value.rule) == ("phone", "already_booked")
    cancelled = await cancel_ticket(antrian, ticket.id, phone="0812 7777 0001", now=clock())
    assert cancelled.status is TicketStatus.CANCELLED


async def test_cancelling_works_only_while_waiting_and_gives_the_place_back(
    antrian: SourceDB, store: PgIdempotencyStore, city: City
) -> None:
    day, service = MONDAY + timedelta(days=3), "MPP01-G"
    someone = city.adults()[530]
    ticket = await book_ticket(
        antrian, request(530, city, service=service, day=day), store=store, now=clock()
    )

    async def remaining() -> int:
        days = (await service_days(antrian, [service], days=5, now=clock()))[service]
        return next(d.remaining for d in days if d.day == day)

    left = await remaining()
    with pytest.raises(CancelRefused) as stranger:
        await cancel_ticket(antrian, ticket.id, nik=city.adults()[531].nik, now=clock())
    assert (stranger.value.field, stranger.value.rule) == ("ticket_id", "not_found")
    with pytest.raises(CancelRefused) as both:
        await cancel_ticket(antrian, ticket.id, nik=someone.nik, phone="081234567890", now=clock())
    assert both.value.rule == "one_of"
    cancelled = await cancel_ticket(antrian, ticket.id, nik=someone.nik, now=clock())
    assert cancelled.status is TicketStatus.CANCELLED and cancelled.number == ticket.number
    assert await remaining() == left + 1
    # Asked twice (the first answer lost): the same cancelled ticket, nothing else.
    assert await cancel_ticket(antrian, ticket.id, nik=someone.nik, now=clock()) == cancelled
    called = await book_ticket(
        antrian, request(532, city, service=service, day=day), store=store, now=clock()
    )
    await antrian.fetch("UPDATE tiket SET status = 'DIPANGGIL' WHERE id_tiket = $1", int(called.id))
    with pytest.raises(CancelRefused) as refused:
        await cancel_ticket(antrian, called.id, nik=city.adults()[532].nik, now=clock())
    assert (refused.value.field, refused.value.rule) == ("status", "not_waiting")
    assert await remaining() == left


async def test_capacity_of_many_services_over_the_coming_days_is_one_statement(
    antrian: SourceDB,
) -> None:
    services = [f"MPP01-{p}" for p in "ABCDEFGHIJK"] + ["MPP04-A", "NOPE"]
    before = antrian.statements
    found = await service_days(antrian, services, days=14, now=clock())
    assert antrian.statements - before == 1
    assert "NOPE" not in found and len(found) == 12
    main = found["MPP01-A"]
    assert [d.day for d in main] == [MONDAY + timedelta(days=n) for n in range(14)]
    # Office days at the main centre, every day at the mall.
    assert [d.open for d in main[:7]] == [True] * 5 + [False] * 2
    assert all(d.open for d in found["MPP04-A"])
    assert all(d.remaining == 0 for d in main if not d.open)
    assert all(d.remaining == d.quota - d.taken for d in main if d.open)


async def test_queue_position_counts_the_waiting_tickets_ahead(
    antrian: SourceDB, store: PgIdempotencyStore, city: City
) -> None:
    day, service = MONDAY + timedelta(days=4), "MPP01-H"
    tickets = [
        await book_ticket(
            antrian, request(540 + n, city, service=service, day=day), store=store, now=clock()
        )
        for n in range(4)
    ]
    before = antrian.statements
    positions = await queue_positions(antrian, [t.id for t in tickets] + ["x"])
    assert antrian.statements - before == 1
    assert [positions[t.id].ahead for t in tickets] == [0, 1, 2, 3]
    last = positions[tickets[-1].id]
    # Samsat (H) has three counters at the main centre, and a served history.
    assert last.counters == 3 and timedelta(minutes=4) <= last.average_service <= timedelta(
        minutes=25
    )
    assert last.estimated_wait is not None
    assert abs(last.estimated_wait - last.average_service * 3 / 3) <= timedelta(seconds=1)
    await cancel_ticket(antrian, tickets[0].id, nik=city.adults()[540].nik, now=clock())
    positions = await queue_positions(antrian, [t.id for t in tickets])
    assert positions[tickets[0].id].estimated_wait is None
    assert [positions[t.id].ahead for t in tickets[1:]] == [0, 1, 2]
