"""Behind a proxy, anonymous callers are told apart by the address the proxy forwards,
and only a trusted proxy's word is taken; websockets are capped per address and closed
when idle. Over real HTTP and websockets."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from connectors.base import Source
from connectors.city import Family
from hub.app import create_app
from hub.settings import AuthSettings, Settings
from tests.conftest import ScratchDatabases
from tests.e2e.conftest import city_settings

PROTOCOL = "graphql-transport-ws"
ANONYMOUS = "{ __typename }"

Hub = Callable[..., Any]


@pytest.fixture
def hub(city_dsns: dict[Source | str, str]) -> Hub:
    """A hub on its own port with its own limiter: ``hub(proxies, **limits)``."""

    @asynccontextmanager
    async def start(proxies: tuple[str, ...], **limits: Any) -> AsyncIterator[str]:
        settings: Settings = replace(city_settings(city_dsns, **limits), trusted_proxies=proxies)
        async with TestServer(create_app(settings), host="127.0.0.1") as server:
            yield str(server.make_url("")).rstrip("/")

    return start


async def ask(session: aiohttp.ClientSession, url: str, forwarded: str | None) -> str:
    """The outcome of one anonymous operation: ``ok`` or its error code."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    async with session.post(url + "/graphql", json={"query": ANONYMOUS}, headers=headers) as r:
        body = await r.json()
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"])
    assert body["data"] == {"__typename": "Query"}
    return "ok"


async def test_a_trusted_proxy_gives_each_forwarded_client_its_own_bucket(hub: Hub) -> None:
    async with hub(("127.0.0.0/8",), requests_per_minute=2) as url, aiohttp.ClientSession() as s:
        first = [await ask(s, url, "203.0.113.7") for _ in range(3)]
        assert first == ["ok", "ok", "LIMIT_EXCEEDED"]
        # Another client behind the same proxy is not held to the first one's count.
        assert await ask(s, url, "198.51.100.20") == "ok"
        # A client's own X-Forwarded-For is to the left of what the proxy appended.
        assert await ask(s, url, "198.51.100.99, 203.0.113.7") == "LIMIT_EXCEEDED"
        # Proxies in the chain are skipped: the client is the right-most other address.
        assert await ask(s, url, "192.0.2.44, 127.0.0.9") == "ok"


async def test_an_untrusted_peer_cannot_buy_a_fresh_bucket_with_the_header(hub: Hub) -> None:
    async with hub(("10.99.0.0/16",), requests_per_minute=2) as url, aiohttp.ClientSession() as s:
        outcomes = [await ask(s, url, f"203.0.113.{n}") for n in range(1, 5)]
        assert outcomes == ["ok", "ok", "LIMIT_EXCEEDED", "LIMIT_EXCEEDED"]


async def test_without_trusted_proxies_the_header_is_ignored(hub: Hub) -> None:
    async with hub((), requests_per_minute=1) as url, aiohttp.ClientSession() as s:
        assert await ask(s, url, "203.0.113.1") == "ok"
        assert await ask(s, url, "203.0.113.2") == "LIMIT_EXCEEDED"


async def open_socket(
    session: aiohttp.ClientSession, url: str, forwarded: str
) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(
        url + "/graphql", protocols=[PROTOCOL], headers={"X-Forwarded-For": forwarded}
    )
    await ws.send_json({"type": "connection_init", "payload": {}})
    assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
    return ws


async def test_websockets_are_capped_per_client_address(hub: Hub) -> None:
    async with hub(("127.0.0.0/8",), websockets_per_address=3) as url, aiohttp.ClientSession() as s:
        sockets = [await open_socket(s, url, "203.0.113.7") for _ in range(3)]
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await s.ws_connect(
                url + "/graphql", protocols=[PROTOCOL], headers={"X-Forwarded-For": "203.0.113.7"}
            )
        assert refused.value.status == 429
        assert refused.value.headers is not None and "Retry-After" in refused.value.headers
        # Another address behind the same proxy still gets one.
        other = await open_socket(s, url, "198.51.100.20")
        # Closing one gives its address the room back.
        await sockets[0].close()
        await asyncio.sleep(0.2)
        again = await open_socket(s, url, "203.0.113.7")
        for ws in (*sockets[1:], other, again):
            await ws.close()


async def test_an_idle_websocket_is_closed_and_operations_keep_one_open(hub: Hub) -> None:
    async with hub((), websocket_idle_seconds=0.6) as url, aiohttp.ClientSession() as s:
        idle = await open_socket(s, url, "-")
        started = time.monotonic()
        message = await idle.receive(timeout=5)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert idle.close_code == 1000
        assert 0.5 <= time.monotonic() - started < 3
        # A socket that keeps asking is not idle: each operation starts the time again.
        busy = await open_socket(s, url, "-")
        for n in range(4):
            await busy.send_json(
                {"id": str(n), "type": "subscribe", "payload": {"query": ANONYMOUS}}
            )
            answer = await busy.receive_json(timeout=5)
            assert answer["type"] == "next", answer
            assert (await busy.receive_json(timeout=5))["type"] == "complete"
            await asyncio.sleep(0.3)
        assert not busy.closed
        await busy.close()


@pytest.fixture(scope="module")
async def sign_in_hub_dsn(test_databases: ScratchDatabases) -> str:
    """A hub database of its own: the sign-in failures it counts outlive a hub."""
    return (await test_databases.create("client_address"))["hub"]


@asynccontextmanager
async def sign_in_hub(
    city_dsns: dict[Source | str, str], hub_dsn: str, proxies: tuple[str, ...]
) -> AsyncIterator[str]:
    """A hub with the development sign-in, refusing an address after two failures."""
    settings = replace(
        city_settings(city_dsns),
        hub_dsn=hub_dsn,
        trusted_proxies=proxies,
        auth=AuthSettings(
            development_sign_in=True, sign_in_failures_per_nik=100, sign_in_failures_per_ip=2
        ),
    )
    async with TestServer(create_app(settings), host="127.0.0.1") as server:
        yield str(server.make_url("")).rstrip("/")
    conn = await asyncpg.connect(hub_dsn)
    try:
        await conn.execute("DELETE FROM oauth_sign_in_failures")
    finally:
        await conn.close()


async def wrong_birth_date(url: str, nik: str, forwarded: str) -> int:
    """The status of one sign-in with a wrong birth date, from ``forwarded``."""
    headers = {"X-Forwarded-For": forwarded}
    # A browser: keeps the hub's cookies, on 127.0.0.1 too.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.get(url + "/oauth/sign-in", headers=headers) as r:
            page = await r.text()
        csrf = re.search(r'name="csrf" value="([^"]*)"', page)
        assert csrf, page
        token = csrf.group(1).replace("&amp;", "&")
        form = {"csrf": token, "next": "", "nik": nik, "birth_date": "01-01-1901"}
        async with browser.post(url + "/oauth/sign-in", data=form, headers=headers) as r:
            return r.status


async def test_sign_in_failures_are_counted_per_forwarded_address(
    city_dsns: dict[Source | str, str], sign_in_hub_dsn: str, family: Family
) -> None:
    nik = family.head.nik
    async with sign_in_hub(city_dsns, sign_in_hub_dsn, ("127.0.0.0/8",)) as url:
        tries = [await wrong_birth_date(url, nik, "203.0.113.7") for _ in range(3)]
        assert tries == [401, 401, 429]
        assert await wrong_birth_date(url, nik, "198.51.100.20") == 401
    async with sign_in_hub(city_dsns, sign_in_hub_dsn, ("10.99.0.0/16",)) as url:
        tries = [await wrong_birth_date(url, nik, f"203.0.113.{n}") for n in range(1, 4)]
        assert tries == [401, 401, 429]
