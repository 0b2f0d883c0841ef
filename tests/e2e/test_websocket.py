"""GraphQL over a websocket (graphql-transport-ws): every operation is its own request,
and the socket does not outlive its token."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import asyncpg
import pytest

from connectors.city import Family
from connectors.seeding import SeedReport
from hub.app import HUB_POOL
from hub.audit import DisclosureLog
from hub.auth import issue_citizen_token
from hub.auth.clients import revoke_client
from hub.settings import Settings
from tests.e2e.conftest import grant
from tests.e2e.test_access import claims_of

PROTOCOL = "graphql-transport-ws"
QUERY = "query($n: NIK!) { citizen(nik: $n) { nik fullName } }"


class Socket:
    """A graphql-transport-ws client over aiohttp, just enough for these tests."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = 0

    async def init(self, payload: dict[str, str]) -> dict[str, Any]:
        await self.ws.send_json({"type": "connection_init", "payload": payload})
        message: dict[str, Any] = await self.ws.receive_json(timeout=5)
        return message

    async def run(self, query: str, **variables: Any) -> dict[str, Any]:
        self.ids += 1
        op = str(self.ids)
        try:
            await self.ws.send_json(
                {"id": op, "type": "subscribe", "payload": {"query": query, "variables": variables}}
            )
        except aiohttp.ClientConnectionResetError:
            return {"closed": self.ws.close_code}
        while True:
            message = await self.ws.receive(timeout=5)
            if message.type != aiohttp.WSMsgType.TEXT:
                return {"closed": self.ws.close_code}
            data = message.json()
            if data.get("id") == op and data["type"] in ("next", "error"):
                payload: dict[str, Any] = data["payload"]
                return payload

    async def closed(self, within: float) -> int | None:
        """The close code, waiting at most ``within`` seconds for the server to close."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            message = await self.ws.receive(timeout=deadline - time.monotonic())
            if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                return self.ws.close_code
        return None


async def connect(session: aiohttp.ClientSession, url: str) -> aiohttp.ClientWebSocketResponse:
    return await session.ws_connect(url + "/graphql", protocols=[PROTOCOL])


async def test_each_operation_on_a_socket_is_its_own_logged_request(
    ws_hub: tuple[Any, str, Settings], seed_report: SeedReport
) -> None:
    _, url, settings = ws_hub
    assert seed_report.city is not None
    people = [p.nik for p in seed_report.city.people[:3]]
    headers = await grant(settings, name="qa-ws-log")
    async with aiohttp.ClientSession() as session, await connect(session, url) as ws:
        socket = Socket(ws)
        assert (await socket.init(headers))["type"] == "connection_ack"
        for nik in people:
            assert (await socket.run(QUERY, n=nik))["data"]["citizen"]["nik"] == nik
    pool = await asyncpg.create_pool(settings.hub_dsn, min_size=1, max_size=1)
    try:
        log = await DisclosureLog(pool).access_log(people, 50)
    finally:
        await pool.close()
    client = claims_of(headers)["client_id"]
    mine = [
        (nik, e.request_id)
        for nik, entries in log.items()
        for e in entries
        if e.client_id == client
    ]
    assert sorted(n for n, _ in mine) == sorted(people)  # one row each, none logged twice
    assert len({r for _, r in mine}) == 3  # three requests, three request ids


async def test_a_bad_token_is_refused_at_connection_init(ws_hub: tuple[Any, str, Settings]) -> None:
    _, url, _ = ws_hub
    async with aiohttp.ClientSession() as session, await connect(session, url) as ws:
        await ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": "Bearer not-a-token"}}
        )
        assert await Socket(ws).closed(within=5) == 4403


async def test_an_anonymous_socket_reads_the_catalogue_but_no_citizen(
    ws_hub: tuple[Any, str, Settings], family: Family
) -> None:
    _, url, _ = ws_hub
    async with aiohttp.ClientSession() as session, await connect(session, url) as ws:
        socket = Socket(ws)
        assert (await socket.init({}))["type"] == "connection_ack"
        assert (await socket.run("{ serviceCentres { name } }"))["data"]["serviceCentres"]
        answer = await socket.run(QUERY, n=family.head.nik)
        assert answer["data"] is None
        assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_revoked_clients_socket_is_closed(
    ws_hub: tuple[Any, str, Settings], family: Family
) -> None:
    app, url, settings = ws_hub
    headers = await grant(settings, name="qa-ws-revoked")
    async with aiohttp.ClientSession() as session, await connect(session, url) as ws:
        socket = Socket(ws)
        await socket.init(headers)
        assert (await socket.run(QUERY, n=family.head.nik))["data"]["citizen"]
        async with app[HUB_POOL].acquire() as conn:
            await revoke_client(conn, claims_of(headers)["client_id"])
        # Idle: the socket's own watch closes it within the revocation cache's time.
        assert await socket.closed(within=3) == 4403


async def test_a_socket_ends_when_its_token_expires(
    ws_hub: tuple[Any, str, Settings], family: Family
) -> None:
    app, url, settings = ws_hub
    lifetime = settings.auth.citizen_token_seconds
    token = await issue_citizen_token(
        app[HUB_POOL], settings.auth, family.head.nik, now=time.time() - lifetime + 1.5
    )
    async with aiohttp.ClientSession() as session, await connect(session, url) as ws:
        socket = Socket(ws)
        await socket.init({"Authorization": f"Bearer {token.access_token}"})
        assert (await socket.run("{ me { nik } }"))["data"]["me"]["nik"] == family.head.nik
        assert await socket.closed(within=4) == 4401


async def test_no_operation_answers_after_the_token_expires(
    ws_hub: tuple[Any, str, Settings], family: Family
) -> None:
    app, url, settings = ws_hub
    lifetime = settings.auth.citizen_token_seconds
    token = await issue_citizen_token(
        app[HUB_POOL], settings.auth, family.head.nik, now=time.time() - lifetime + 1.0
    )
    async with aiohttp.ClientSession() as session, await connect(session, url) as ws:
        socket = Socket(ws)
        await socket.init({"Authorization": f"Bearer {token.access_token}"})
        await asyncio.sleep(1.05)
        answer = await socket.run("{ me { nik } }")
        # Refused as its own operation, or the socket already closed: never data.
        assert answer.get("data") is None
        assert family.head.nik not in str(answer)


@pytest.mark.parametrize(
    "message",
    [
        {"type": "subscribe", "id": "1", "payload": None},
        {"type": "subscribe", "id": "1", "payload": {"query": 5}},
        {"type": "subscribe", "id": {"a": 1}, "payload": {"query": "{ __typename }"}},
        {"type": "subscribe", "id": "1", "payload": {"query": "{ __typename }", "variables": [1]}},
        ["not", "an", "object"],
        {"type": 7},
    ],
)
async def test_a_malformed_message_closes_the_socket_cleanly_without_a_traceback(
    ws_hub: tuple[Any, str, Settings], message: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _, url, _ = ws_hub
    async with aiohttp.ClientSession() as session, await connect(session, url) as ws:
        socket = Socket(ws)
        assert (await socket.init({}))["type"] == "connection_ack"
        await ws.send_json(message)
        assert await socket.closed(within=5) == 4400
    assert "Traceback" not in caplog.text
