"""The super-app acts: book and cancel a queue ticket, submit a district request, for
oneself or a child, through the same access decision and disclosure log as reads."""

from __future__ import annotations

import asyncio
import secrets
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from connectors.base import Source
from connectors.city import Family
from hub.app import create_app
from hub.settings import Settings
from tests.e2e.conftest import citizen_headers, city_settings, grant, logged_for
from tests.e2e.test_access import ask

BOOK = """mutation($input: BookQueueTicketInput!) {
  bookQueueTicket(input: $input) { id number date status service { code } }
}"""
CANCEL = "mutation($id: ID!) { cancelQueueTicket(ticketId: $id) { id status } }"
MEMBERS = "{ me { id family { members { id relationship } } } }"


@pytest.fixture(scope="module")
async def parent(hub_url: str, hub_settings: Settings, acting_family: Family) -> dict[str, str]:
    return await citizen_headers(hub_settings, acting_family.head.nik)


async def open_service(hub_url: str) -> tuple[str, str, date]:
    """A centre, one of its services, and a day it is open within the coming week."""
    _, body, _ = await ask(
        hub_url, {}, "{ serviceCentres { code openWeekdays services { code dailyQuota } } }"
    )
    centre = body["data"]["serviceCentres"][0]
    service = max(centre["services"], key=lambda s: s["dailyQuota"])
    day = date.today() + timedelta(days=2)
    while day.isoweekday() not in centre["openWeekdays"]:
        day += timedelta(days=1)
    return centre["code"], service["code"], day


def booking(centre: str, service: str, day: date, **more: Any) -> dict[str, Any]:
    return {
        "serviceCentreId": centre,
        "serviceId": service,
        "date": day.isoformat(),
        "phone": "081234567890",
        "idempotencyKey": secrets.token_hex(8),
        **more,
    }


async def child_id(hub_url: str, parent: dict[str, str]) -> tuple[str, str]:
    _, body, _ = await ask(hub_url, parent, MEMBERS)
    members = body["data"]["me"]["family"]["members"]
    child = next(m for m in members if m["relationship"] == "CHILD")
    spouse = next(m for m in members if m["relationship"] in ("WIFE", "HUSBAND"))
    return child["id"], spouse["id"]


async def test_a_parent_books_for_a_child_and_the_same_key_returns_the_same_ticket(
    hub_url: str, hub_settings: Settings, parent: dict[str, str], acting_family: Family
) -> None:
    centre, service, day = await open_service(hub_url)
    child, _ = await child_id(hub_url, parent)
    request = booking(centre, service, day, forCitizen=child)
    _, first, headers = await ask(hub_url, parent, BOOK, input=request)
    assert "errors" not in first, first
    ticket = first["data"]["bookQueueTicket"]
    assert ticket["status"] == "WAITING" and ticket["service"]["code"] == service
    _, again, _ = await ask(hub_url, parent, BOOK, input=request)
    assert again["data"]["bookQueueTicket"]["id"] == ticket["id"]
    _, reused, _ = await ask(hub_url, parent, BOOK, input={**request, "phone": "081299999999"})
    assert reused["errors"][0]["extensions"]["rule"] == "idempotency_key_reused"
    # The write is on the child's disclosure log, under the parent's request.
    children = [m.nik for m in acting_family.members if m.relationship == "ANAK"]
    assert await logged_for(hub_settings, headers["X-Request-Id"], children)
    _, cancelled, _ = await ask(hub_url, parent, CANCEL, id=ticket["id"])
    assert cancelled["data"]["cancelQueueTicket"]["status"] == "CANCELLED", cancelled


async def test_a_citizen_cannot_act_for_an_adult_relative_or_a_stranger(
    hub_url: str, parent: dict[str, str], other_family: Family, hub_settings: Settings
) -> None:
    centre, service, day = await open_service(hub_url)
    _, spouse = await child_id(hub_url, parent)
    _, body, _ = await ask(
        hub_url, parent, BOOK, input=booking(centre, service, day, forCitizen=spouse)
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # An id shown to another caller opens to nothing here.
    stranger = await citizen_headers(hub_settings, other_family.head.nik)
    _, theirs, _ = await ask(hub_url, stranger, "{ me { id } }")
    foreign = booking(centre, service, day, forCitizen=theirs["data"]["me"]["id"])
    _, body, _ = await ask(hub_url, parent, BOOK, input=foreign)
    assert body["errors"][0]["extensions"]["rule"] == "for_citizen_unknown"


async def test_a_partner_needs_antrian_write_within_its_purpose(
    hub_url: str, hub_settings: Settings
) -> None:
    centre, service, day = await open_service(hub_url)
    reader = await grant(hub_settings, frozenset({"antrian:read"}), name="qa-book-read")
    _, body, _ = await ask(hub_url, reader, BOOK, input=booking(centre, service, day))
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "antrian:write"}
    officer = await grant(hub_settings, frozenset({"antrian:write"}), name="qa-book-officer")
    _, body, _ = await ask(hub_url, officer, BOOK, input=booking(centre, service, day))
    assert body["data"]["bookQueueTicket"]["number"], body  # a walk-in, by phone


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"serviceCentreId": "NOPE"}, "serviceCentreId", "unknown_centre"),
        ({"date": "2020-01-01"}, "date", None),
        ({"phone": "12"}, "phone", None),
        ({"idempotencyKey": ""}, "idempotencyKey", "idempotency_key"),
    ],
)
async def test_bad_input_names_the_field_and_writes_nothing(
    hub_url: str, parent: dict[str, str], change: dict[str, str], field: str, rule: str | None
) -> None:
    centre, service, day = await open_service(hub_url)
    _, before, _ = await ask(hub_url, parent, "{ me { queueTickets { id } } }")
    _, body, _ = await ask(hub_url, parent, BOOK, input={**booking(centre, service, day), **change})
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["field"] == field
    if rule is not None:
        assert error["extensions"]["rule"] == rule
    _, after, _ = await ask(hub_url, parent, "{ me { queueTickets { id } } }")
    assert after["data"] == before["data"]


async def test_fifty_simultaneous_bookings_get_fifty_distinct_numbers(
    hub_url: str, hub_settings: Settings
) -> None:
    centre, service, day = await open_service(hub_url)
    day += timedelta(days=7)
    officer = await grant(hub_settings, frozenset({"antrian:write"}), name="qa-book-fifty")
    answers = await asyncio.gather(
        *(
            ask(
                hub_url, officer, BOOK, input=booking(centre, service, day, phone=f"0812345{i:05d}")
            )
            for i in range(50)
        )
    )
    numbers = [b["data"]["bookQueueTicket"]["number"] for _, b, _ in answers if b.get("data")]
    refused = [b for _, b, _ in answers if not b.get("data")]
    assert len(set(numbers)) == len(numbers)
    assert all(e["extensions"]["rule"] == "fully_booked" for b in refused for e in b["errors"])


async def test_the_catalogues_show_capacity_and_what_a_request_asks(
    hub_url: str, hub_settings: Settings
) -> None:
    centre, service, _ = await open_service(hub_url)
    officer = await grant(hub_settings, frozenset({"antrian:write"}), name="qa-capacity")
    query = (
        "{ serviceCentres { counters { code serviceCode } services { code dailyQuota"
        " capacity(days: 14) { date open remaining taken } } } }"
    )
    _, before, _ = await ask(hub_url, {}, query)
    services = [s for c in before["data"]["serviceCentres"] for s in c["services"]]
    days = next(s for s in services if s["code"] == service)["capacity"]
    day = date.fromisoformat(next(d["date"] for d in days[1:] if d["open"] and d["remaining"]))
    _, booked, _ = await ask(hub_url, officer, BOOK, input=booking(centre, service, day))
    assert booked["data"]["bookQueueTicket"], booked
    _, after, _ = await ask(hub_url, {}, query)

    def left(body: dict[str, Any]) -> int:
        services = [s for c in body["data"]["serviceCentres"] for s in c["services"]]
        days = next(s for s in services if s["code"] == service)["capacity"]
        return next(d["remaining"] for d in days if d["date"] == day.isoformat())

    assert left(after) == left(before) - 1
    counters = [k for c in after["data"]["serviceCentres"] for k in c["counters"]]
    assert any(k["serviceCode"] == service for k in counters)
    _, types, _ = await ask(
        hub_url, {}, "{ districtServiceTypes { code questions { name answer required } } }"
    )
    sktm = next(t for t in types["data"]["districtServiceTypes"] if t["code"] == "SKTM")
    assert {"name": "purpose", "answer": "TEXT", "required": True} in sktm["questions"]


async def test_a_citizen_submits_a_district_request_and_sees_it_in_their_requests(
    hub_url: str, parent: dict[str, str]
) -> None:
    submit = """mutation($input: SubmitDistrictRequestInput!) {
      submitDistrictRequest(input: $input) { number status history { status } }
    }"""
    request = {
        "kecamatan": "02",
        "serviceType": "SKBM",
        "details": [{"name": "purpose", "value": "melamar kerja"}],
        "idempotencyKey": secrets.token_hex(8),
    }
    _, body, _ = await ask(hub_url, parent, submit, input=request)
    submitted = body["data"]["submitDistrictRequest"]
    assert submitted["number"].startswith("APK/") and len(submitted["history"]) == 1
    _, mine, _ = await ask(hub_url, parent, "{ me { districtRequests { number } } }")
    assert submitted["number"] in {r["number"] for r in mine["data"]["me"]["districtRequests"]}
    _, bad, _ = await ask(
        hub_url, parent, submit, input={**request, "details": [], "idempotencyKey": "x2"}
    )
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# The second review of the write side.


async def tickets_of(city_dsns: dict[Source | str, str]) -> int:
    conn = await asyncpg.connect(city_dsns[Source.ANTRIAN])
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM tiket")
        return count
    finally:
        await conn.close()


async def test_a_write_past_the_budget_is_refused_before_anything_is_written(
    hub_url: str, parent: dict[str, str], writable_dsns: dict[Source | str, str]
) -> None:
    centre, service, day = await open_service(hub_url)
    child, _ = await child_id(hub_url, parent)  # ids open wherever the hub database is the same
    settings = city_settings(writable_dsns, distinct_niks_per_hour=1)
    async with TestServer(create_app(settings), host="127.0.0.1") as server:
        url = str(server.make_url("")).rstrip("/")
        _, body, _ = await ask(url, parent, "{ me { nik } }")  # the one NIK of the hour
        assert body["data"]["me"]["nik"]
        before = await tickets_of(writable_dsns)
        request = booking(centre, service, day, forCitizen=child)
        _, body, _ = await ask(url, parent, BOOK, input=request)
        assert body["errors"][0]["extensions"]["limit"] == "subject_budget", body
        assert await tickets_of(writable_dsns) == before


async def test_a_write_beside_a_denied_alias_is_not_written(
    hub_url: str, parent: dict[str, str], city_dsns: dict[Source | str, str]
) -> None:
    centre, service, day = await open_service(hub_url)
    _, spouse = await child_id(hub_url, parent)
    both = """mutation($a: BookQueueTicketInput!, $b: BookQueueTicketInput!) {
      a: bookQueueTicket(input: $a) { id } b: bookQueueTicket(input: $b) { id } }"""
    before = await tickets_of(city_dsns)
    _, body, _ = await ask(
        hub_url,
        parent,
        both,
        a=booking(centre, service, day + timedelta(days=14)),
        b=booking(centre, service, day, forCitizen=spouse),
    )
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await tickets_of(city_dsns) == before


async def test_nobody_cancels_an_adults_ticket_but_its_holder(
    hub_url: str, hub_settings: Settings, acting_family: Family
) -> None:
    centre, service, day = await open_service(hub_url)
    wife = next(m for m in acting_family.members if m.relationship == "ISTRI")
    spouse = await citizen_headers(hub_settings, wife.nik)
    _, body, _ = await ask(hub_url, spouse, BOOK, input=booking(centre, service, day))
    ticket = body["data"]["bookQueueTicket"]["id"]
    head = await citizen_headers(hub_settings, acting_family.head.nik)
    officer = await grant(hub_settings, frozenset({"antrian:write"}), name="qa-cancel-officer")
    for caller in (head, officer):
        _, refused, _ = await ask(hub_url, caller, CANCEL, id=ticket)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert "number" not in str(refused) and wife.name not in str(refused)
    _, own, _ = await ask(hub_url, spouse, CANCEL, id=ticket)
    assert own["data"]["cancelQueueTicket"]["status"] == "CANCELLED"


@pytest.mark.parametrize("field", ["serviceCentreId", "serviceId", "idempotencyKey"])
async def test_a_nul_character_is_bad_input_and_does_not_open_the_circuit(
    hub_url: str, hub_settings: Settings, parent: dict[str, str], field: str
) -> None:
    centre, service, day = await open_service(hub_url)
    for _ in range(6):  # more than the breaker's five failures
        request = {**booking(centre, service, day), field: "MPP\u000001"}
        _, body, _ = await ask(hub_url, parent, BOOK, input=request)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["field"] == f"input.{field}"
    _, sources, _ = await ask(hub_url, {}, "{ sources { system circuit } }")
    assert {s["circuit"] for s in sources["data"]["sources"]} == {"CLOSED"}
