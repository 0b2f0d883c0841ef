"""What a client does wrong or leaves unfinished is no error in the hub's log.

A socket closed while answers are on their way (the client left, or the hub closed it
with 4400 or 4403), and a request aiohttp cannot parse (a header over 8,190 bytes, a
malformed request line) leave no ERROR record and no traceback; a failure inside the
hub still logs at ERROR, without the values it failed on.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from typing import Any

import aiohttp
import pytest

from connectors.city import Family
from hub.app import HUB_POOL
from hub.auth.clients import revoke_client
from hub.graphql import HubGraphQLView
from hub.settings import Settings
from tests.e2e.conftest import grant
from tests.e2e.test_access import claims_of

QUERY = "query($n: NIK!) { citizen(nik: $n) { nik fullName } }"
BURST = 30  # operations in flight when the socket closes
SECRET = "S3CRET-VALUE"


def problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Records an operator would be paged for, or that carry a traceback."""
    return [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.ERROR or r.exc_info or r.exc_text
    ]


async def open_socket(
    session: aiohttp.ClientSession, url: str, payload: dict[str, str]
) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(url + "/graphql", protocols=["graphql-transport-ws"])
    await ws.send_json({"type": "connection_init", "payload": payload})
    assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
    return ws


async def burst(ws: aiohttp.ClientWebSocketResponse, nik: str, first: int = 0) -> None:
    for i in range(first, first + BURST):  # ids in flight must differ (else 4409)
        payload = {"query": QUERY, "variables": {"n": nik}}
        await ws.send_json({"id": str(i), "type": "subscribe", "payload": payload})


async def close_code(ws: aiohttp.ClientWebSocketResponse) -> int | None:
    while True:
        message = await ws.receive(timeout=5)
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            return ws.close_code


async def settle(url: str) -> None:
    """Let the closed sockets' operations end: a fresh request answers after them."""
    await asyncio.sleep(0.3)
    async with aiohttp.ClientSession() as session, session.get(url + "/healthz") as response:
        assert response.status == 200


async def test_a_socket_closed_mid_answer_logs_no_error(
    ws_hub: tuple[Any, str, Settings], family: Family, caplog: pytest.LogCaptureFixture
) -> None:
    app, url, settings = ws_hub
    caplog.set_level(logging.DEBUG)
    headers = await grant(settings, name="qa-ws-leaves")
    nik = family.head.nik
    async with aiohttp.ClientSession() as session:
        for _ in range(3):  # the client leaves with answers on their way
            ws = await open_socket(session, url, headers)
            await burst(ws, nik)
            await ws.close()
        for _ in range(3):  # the hub closes it (4400) with answers on their way
            ws = await open_socket(session, url, headers)
            await burst(ws, nik)
            await ws.send_str('"not a message"')
            assert await close_code(ws) == 4400
        ws = await open_socket(session, url, headers)  # the client is revoked (4403)
        async with app[HUB_POOL].acquire() as conn:
            await revoke_client(conn, claims_of(headers)["client_id"])
        closed = asyncio.create_task(close_code(ws))
        with contextlib.suppress(aiohttp.ClientConnectionResetError):
            for first in range(0, 1000 * BURST, BURST):  # until the hub notices the revocation
                if closed.done():
                    break
                await burst(ws, nik, first)
                await asyncio.sleep(0.02)
        assert await closed == 4403
    await settle(url)
    assert problems(caplog) == []
    assert "Traceback" not in caplog.text
    assert nik not in caplog.text


async def test_a_legacy_graphql_ws_socket_left_mid_answer_logs_no_error(
    ws_hub: tuple[Any, str, Settings], family: Family, caplog: pytest.LogCaptureFixture
) -> None:
    _, url, settings = ws_hub
    caplog.set_level(logging.DEBUG)
    headers = await grant(settings, name="qa-ws-legacy-leaves")
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            ws = await session.ws_connect(url + "/graphql", protocols=["graphql-ws"])
            await ws.send_json({"type": "connection_init", "payload": headers})
            assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
            for i in range(BURST):
                payload = {"query": QUERY, "variables": {"n": family.head.nik}}
                await ws.send_json({"id": str(i), "type": "start", "payload": payload})
            await ws.close()
    await settle(url)
    gc.collect()  # an unwatched task's exception is logged when it is collected
    assert problems(caplog) == []
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(
    ("request_bytes", "kind"),
    [
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: " + SECRET.encode() * 1400, "LineTooLong"),
        (b"GET /graphql?nik=" + SECRET.encode() * 1400 + b" HTTP/1.1\r\nHost: x", "LineTooLong"),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: " + SECRET.encode(), "BadHttpMessage"),
        (b"GET /\x01" + SECRET.encode() + b" HTTP/1.1\r\nHost: x", "InvalidURLError"),
    ],
)
async def test_an_unparseable_request_is_one_info_line_without_what_was_sent(
    hub_url: str, request_bytes: bytes, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    port = int(hub_url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request_bytes + b"\r\n\r\n")
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=5)
    writer.close()
    assert answer.startswith(b"HTTP/1.0 400 Bad Request")
    assert problems(caplog) == []
    assert SECRET not in caplog.text
    lines = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert [(r.levelname, r.getMessage().split(": ")[-1]) for r in lines] == [
        ("INFO", f"{kind} (400)")
    ]


async def test_an_operation_failing_in_the_hub_logs_an_error_without_its_values(
    ws_hub: tuple[Any, str, Settings],
    family: Family,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, url, settings = ws_hub
    encode = HubGraphQLView.encode_json

    def failing_encode(self: HubGraphQLView, data: object) -> str:
        if isinstance(data, dict) and data.get("type") == "next":
            # An answer orjson cannot write; its message quotes the value.
            raise TypeError(f"Type is not JSON serializable: {family.head.nik}")
        return encode(self, data)

    monkeypatch.setattr(HubGraphQLView, "encode_json", failing_encode)
    headers = await grant(settings, name="qa-ws-fails")
    async with aiohttp.ClientSession() as session:
        ws = await open_socket(session, url, headers)
        payload = {"query": QUERY, "variables": {"n": family.head.nik}}
        await ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
        answer = await ws.receive_json(timeout=5)
        assert answer == {"id": "1", "type": "complete"}  # ended, not left hanging
        await ws.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [(r.name, r.getMessage().splitlines()[0]) for r in errors] == [
        ("hub.websocket", "websocket operation failed: unexpected TypeError")
    ]
    assert "failing_encode" in errors[0].getMessage()  # where it failed
    assert family.head.nik not in caplog.text
