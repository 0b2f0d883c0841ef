"""Following a queue ticket live over a websocket, as the super-app does."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest

from connectors.antrian.counter import call_next, serve_ticket
from connectors.base import Source, SourceDB
from connectors.city import Family
from hub.settings import Settings
from tests.e2e.conftest import citizen_headers
from tests.e2e.test_access import ask
from tests.e2e.test_websocket import Socket, connect
from tests.e2e.writes.test_services import BOOK, booking, child_id, open_service

FOLLOW = "subscription($id: ID!) { queueTicket(ticketId: $id) { id number status counter } }"


async def next_event(socket: Socket, op: str, within: float = 10) -> dict[str, Any]:
    while True:
        message = await socket.ws.receive_json(timeout=within)
        if message.get("id") == op:
            return message


@contextlib.asynccontextmanager
async def counter_calls(
    antrian_dsn: str, service: str, day: date, ticket: str
) -> AsyncIterator[SourceDB]:
    """The centre's counter staff, straight in the Antrian database as the product does:
    the tickets of ``service`` booked before ``ticket`` are served and ``ticket`` is called;
    the block gets the database to serve it on."""
    pool = await asyncpg.create_pool(antrian_dsn, min_size=1, max_size=1)
    try:
        db = SourceDB(Source.ANTRIAN, pool)
        loket = await pool.fetchval(
            "SELECT kode_loket FROM loket WHERE kode_layanan = $1 LIMIT 1", service
        )
        called = await call_next(db, loket, day=day)
        while called.id != ticket:  # tickets booked before ours go first
            await serve_ticket(db, called.id)
            called = await call_next(db, loket, day=day)
        yield db
    finally:
        await pool.close()


async def test_a_parent_follows_a_childs_ticket_called_and_served_by_the_counter(
    hub_url: str, hub_settings: Settings, acting_family: Family, city_dsns: dict[Source | str, str]
) -> None:
    parent = await citizen_headers(hub_settings, acting_family.head.nik)
    centre, service, day = await open_service(hub_url)
    child, _ = await child_id(hub_url, parent)
    _, booked, _ = await ask(
        hub_url, parent, BOOK, input=booking(centre, service, day, forCitizen=child)
    )
    ticket = booked["data"]["bookQueueTicket"]
    async with aiohttp.ClientSession() as session, await connect(session, hub_url) as ws:
        socket = Socket(ws)
        assert (await socket.init(parent))["type"] == "connection_ack"
        await ws.send_json(
            {
                "id": "t",
                "type": "subscribe",
                "payload": {"query": FOLLOW, "variables": {"id": ticket["id"]}},
            }
        )
        first = await next_event(socket, "t")
        assert first["payload"]["data"]["queueTicket"]["status"] == "WAITING"
        async with counter_calls(city_dsns[Source.ANTRIAN], service, day, ticket["id"]) as db:
            seen = await next_event(socket, "t")
            while seen["payload"]["data"]["queueTicket"]["status"] == "WAITING":
                seen = await next_event(socket, "t")  # the queue moving ahead of it
            assert seen["payload"]["data"]["queueTicket"]["status"] == "CALLED"
            assert seen["payload"]["data"]["queueTicket"]["counter"]
            await serve_ticket(db, ticket["id"])
        served = await next_event(socket, "t")
        while served["payload"]["data"]["queueTicket"]["status"] == "CALLED":
            served = await next_event(socket, "t")  # the rest of its queue moving on
        assert served["payload"]["data"]["queueTicket"]["status"] == "SERVED"
        assert (await next_event(socket, "t"))["type"] == "complete"


async def test_following_a_strangers_ticket_is_refused_and_the_socket_closed_4403(
    hub_url: str, hub_settings: Settings, acting_family: Family, other_family: Family
) -> None:
    parent = await citizen_headers(hub_settings, acting_family.head.nik)
    centre, service, day = await open_service(hub_url)
    _, booked, _ = await ask(hub_url, parent, BOOK, input=booking(centre, service, day))
    stranger = await citizen_headers(hub_settings, other_family.head.nik)
    async with aiohttp.ClientSession() as session, await connect(session, hub_url) as ws:
        socket = Socket(ws)
        await socket.init(stranger)
        await ws.send_json(
            {
                "id": "t",
                "type": "subscribe",
                "payload": {
                    "query": FOLLOW,
                    "variables": {"id": booked["data"]["bookQueueTicket"]["id"]},
                },
            }
        )
        answer = await next_event(socket, "t")
        assert answer["type"] in ("error", "next")
        assert "FORBIDDEN" in str(answer) and acting_family.head.nik not in str(answer)
        assert await socket.closed(within=5) == 4403


async def test_an_anonymous_subscription_is_closed_4401(hub_url: str) -> None:
    async with aiohttp.ClientSession() as session, await connect(session, hub_url) as ws:
        socket = Socket(ws)
        await socket.init({})
        await ws.send_json(
            {"id": "t", "type": "subscribe", "payload": {"query": FOLLOW, "variables": {"id": "1"}}}
        )
        assert await socket.closed(within=5) == 4401


async def test_a_citizen_follows_a_district_request_until_it_is_ready(
    hub_url: str,
    hub_settings: Settings,
    acting_family: Family,
    city_dsns: dict[Source | str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("schema.execution.live.REQUEST_POLL_SECONDS", 0.2)
    parent = await citizen_headers(hub_settings, acting_family.head.nik)
    submit = (
        "mutation($i: SubmitDistrictRequestInput!) { submitDistrictRequest(input: $i) { number } }"
    )
    request = {
        "kecamatan": "02",
        "serviceType": "SKBM",
        "details": [{"name": "purpose", "value": "melamar kerja"}],
        "idempotencyKey": "follow-" + acting_family.head.nik[-6:],
    }
    _, body, _ = await ask(hub_url, parent, submit, i=request)
    number = body["data"]["submitDistrictRequest"]["number"]
    follow = "subscription($n: String!) { districtRequest(number: $n) { status } }"
    async with aiohttp.ClientSession() as session, await connect(session, hub_url) as ws:
        socket = Socket(ws)
        await socket.init(parent)
        await ws.send_json(
            {
                "id": "r",
                "type": "subscribe",
                "payload": {"query": follow, "variables": {"n": number}},
            }
        )
        assert (await next_event(socket, "r"))["payload"]["data"]["districtRequest"]["status"] == (
            "SUBMITTED"
        )
        # The kecamatan office finishes it in APK itself.
        conn = await asyncpg.connect(city_dsns[Source.APK])
        try:
            await conn.execute(
                "UPDATE permohonan SET status_terakhir = 'SELESAI' WHERE nomor_permohonan = $1",
                number,
            )
        finally:
            await conn.close()
        done = await next_event(socket, "r")
        assert done["payload"]["data"]["districtRequest"]["status"] == "COMPLETED"
        assert (await next_event(socket, "r"))["type"] == "complete"


async def test_a_parent_cannot_follow_an_adult_relatives_ticket(
    hub_url: str, hub_settings: Settings, acting_family: Family
) -> None:
    wife = next(m for m in acting_family.members if m.relationship == "ISTRI")
    spouse = await citizen_headers(hub_settings, wife.nik)
    centre, service, day = await open_service(hub_url)
    _, booked, _ = await ask(hub_url, spouse, BOOK, input=booking(centre, service, day))
    ticket = booked["data"]["bookQueueTicket"]["id"]
    parent = await citizen_headers(hub_settings, acting_family.head.nik)
    async with aiohttp.ClientSession() as session, await connect(session, hub_url) as ws:
        socket = Socket(ws)
        await socket.init(parent)
        await ws.send_json(
            {
                "id": "t",
                "type": "subscribe",
                "payload": {"query": FOLLOW, "variables": {"id": ticket}},
            }
        )
        answer = await next_event(socket, "t")
        assert "FORBIDDEN" in str(answer) and wife.name not in str(answer)
        assert await socket.closed(within=5) == 4403


async def test_one_caller_holds_at_most_twenty_live_subscriptions(
    hub_url: str, hub_settings: Settings, acting_family: Family
) -> None:
    parent = await citizen_headers(hub_settings, acting_family.head.nik)
    centre, service, day = await open_service(hub_url)
    _, booked, _ = await ask(
        hub_url, parent, BOOK, input=booking(centre, service, day + timedelta(days=21))
    )
    ticket = booked["data"]["bookQueueTicket"]["id"]
    async with aiohttp.ClientSession() as session, await connect(session, hub_url) as ws:
        socket = Socket(ws)
        await socket.init(parent)
        for i in range(21):
            await ws.send_json(
                {
                    "id": f"s{i}",
                    "type": "subscribe",
                    "payload": {"query": FOLLOW, "variables": {"id": ticket}},
                }
            )
            answer = await next_event(socket, f"s{i}")
            if i < 20:
                assert answer["payload"]["data"]["queueTicket"]["id"] == ticket
        assert answer["payload"]["errors"][0]["extensions"]["limit"] == "subscriptions"
