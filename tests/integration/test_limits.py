"""Per-client request rate and distinct-NIK budget, in Redis (shared) and in memory (one process).

Redis tests use ``CITIZEN_HUB_TEST_REDIS`` (default ``redis://127.0.0.1:6379/0``)
under a key prefix of their own, deleted afterwards; they skip when Redis does
not answer (``.ci/run`` starts it).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis
from limits import RateLimitItemPerMinute
from redis.exceptions import RedisError

from hub.limits import ClientLimits
from schema.errors import LimitExceeded

REDIS_URL = os.environ.get("CITIZEN_HUB_TEST_REDIS", "redis://127.0.0.1:6379/0")
NIKS = [f"36710{i:011d}" for i in range(1, 21)]

MakeLimits = Callable[..., Awaitable[ClientLimits]]


@pytest.fixture(scope="module")
async def redis_url() -> str:
    client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        pytest.skip(
            f"Redis does not answer at {REDIS_URL} ({type(exc).__name__}): start redis-server"
        )
    finally:
        await client.aclose()
    return REDIS_URL


@pytest.fixture
async def shared(redis_url: str) -> AsyncIterator[MakeLimits]:
    """Makes limiters on Redis under one key prefix, as hub instances would share it."""
    prefix = f"chtest-{secrets.token_hex(4)}"
    made: list[ClientLimits] = []

    async def make(
        rate: int = 100, budget: int = 100, window: float = 3600, cost: int | None = None
    ) -> ClientLimits:
        limits = ClientLimits(
            RateLimitItemPerMinute(rate),
            budget,
            redis_url=redis_url,
            key_prefix=prefix,
            nik_window=window,
            cost_per_minute=cost,
        )
        made.append(limits)
        return limits

    try:
        yield make
    finally:
        for limits in made:
            await limits.close()
        client = aioredis.Redis.from_url(redis_url)
        try:
            keys = [k async for k in client.scan_iter(match=f"{prefix}:*")]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()


@pytest.fixture
async def local() -> AsyncIterator[MakeLimits]:
    made: list[ClientLimits] = []

    async def make(
        rate: int = 100, budget: int = 100, window: float = 3600, cost: int | None = None
    ) -> ClientLimits:
        limits = ClientLimits(
            RateLimitItemPerMinute(rate), budget, nik_window=window, cost_per_minute=cost
        )
        made.append(limits)
        return limits

    yield make
    for limits in made:
        await limits.close()


@pytest.fixture(params=["redis", "memory"])
def make(request: pytest.FixtureRequest) -> MakeLimits:
    fixture: MakeLimits = request.getfixturevalue("shared" if request.param == "redis" else "local")
    return fixture


async def test_the_request_past_the_rate_is_refused_with_retry_after(make: MakeLimits) -> None:
    limits = await make(rate=3)
    for _ in range(3):
        await limits.check_request("sekolah-01")
    with pytest.raises(LimitExceeded) as caught:
        await limits.check_request("sekolah-01")
    ext = caught.value.extensions
    assert ext["code"] == "LIMIT_EXCEEDED"
    assert ext["limit"] == "rate"
    assert ext["maximum"] == 3
    assert 1 <= ext["retryAfter"] <= 60
    await limits.check_request("bkpsdm")  # another client has its own count


async def test_the_nik_budget_counts_each_nik_once(make: MakeLimits) -> None:
    limits = await make(budget=5)
    await limits.charge_niks("sekolah-01", NIKS[:3])
    await limits.charge_niks("sekolah-01", NIKS[:3])  # the same three again: free
    await limits.charge_niks("sekolah-01", [NIKS[3], NIKS[4], NIKS[4]])
    with pytest.raises(LimitExceeded) as caught:
        await limits.charge_niks("sekolah-01", [NIKS[0], NIKS[5]])
    ext = caught.value.extensions
    assert ext["limit"] == "subject_budget"
    assert ext["maximum"] == 5
    assert 1 <= ext["retryAfter"] <= 3600
    # The refused request charged nothing: NIKs already seen stay free.
    await limits.charge_niks("sekolah-01", NIKS[:5])
    await limits.charge_niks("bkpsdm", NIKS[5:10])


async def test_a_request_naming_more_niks_than_the_budget_is_told_to_split(
    make: MakeLimits,
) -> None:
    limits = await make(budget=4)
    with pytest.raises(LimitExceeded, match="ask for fewer") as caught:
        await limits.charge_niks("sekolah-01", NIKS[:5])
    assert "retryAfter" not in caught.value.extensions
    await limits.charge_niks("sekolah-01", NIKS[:4])


async def test_the_budget_window_slides(make: MakeLimits) -> None:
    limits = await make(budget=2, window=1.0)
    await limits.charge_niks("sekolah-01", NIKS[:2])
    with pytest.raises(LimitExceeded) as caught:
        await limits.charge_niks("sekolah-01", NIKS[2:3])
    assert caught.value.extensions["retryAfter"] == 1
    await asyncio.sleep(1.1)
    await limits.charge_niks("sekolah-01", NIKS[2:4])


async def test_two_instances_share_the_rate_and_the_budget_through_redis(
    shared: MakeLimits,
) -> None:
    first, second = await shared(rate=2, budget=4), await shared(rate=2, budget=4)
    await first.check_request("sekolah-01")
    await second.check_request("sekolah-01")
    with pytest.raises(LimitExceeded, match="requests per minute"):
        await first.check_request("sekolah-01")
    await first.charge_niks("sekolah-01", NIKS[:3])
    await second.charge_niks("sekolah-01", [NIKS[0], NIKS[3]])  # NIKS[0] is already charged
    with pytest.raises(LimitExceeded, match="distinct NIKs"):
        await second.charge_niks("sekolah-01", NIKS[4:5])  # alone, the second holds only two


async def test_the_cost_budget_spends_each_operations_cost_and_refuses_past_it(
    make: MakeLimits,
) -> None:
    limits = await make(cost=500)
    await limits.charge_cost("client:sekolah-01", 200)
    await limits.charge_cost("client:sekolah-01", 200)
    with pytest.raises(LimitExceeded) as caught:
        await limits.charge_cost("client:sekolah-01", 200)
    ext = caught.value.extensions
    assert (ext["limit"], ext["value"], ext["figure"]) == ("cost_per_minute", 500, 600)
    assert 1 <= ext["retryAfter"] <= 60
    assert "costs 200" in str(caught.value) and "400 of the budget of 500" in str(caught.value)
    await limits.charge_cost("client:sekolah-01", 100)  # the refused one spent nothing
    await limits.charge_cost("client:bkpsdm", 500)  # another client has its own budget
    # The cost budget and the request rate are counted apart, even at the same amount.
    await limits.check_request("client:sekolah-01")


async def test_two_instances_share_the_cost_budget_through_redis(shared: MakeLimits) -> None:
    first, second = await shared(cost=300), await shared(cost=300)
    await first.charge_cost("client:sekolah-01", 200)
    with pytest.raises(LimitExceeded, match="per minute"):
        await second.charge_cost("client:sekolah-01", 200)


async def test_limits_in_memory_are_per_process(local: MakeLimits) -> None:
    first, second = await local(rate=1), await local(rate=1)
    await first.check_request("sekolah-01")
    await second.check_request("sekolah-01")  # another process knows nothing of the first


async def test_while_redis_is_down_each_instance_limits_on_its_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limits = ClientLimits(
        RateLimitItemPerMinute(2), 2, redis_url="redis://127.0.0.1:1/0", key_prefix="down"
    )
    try:
        with caplog.at_level(logging.WARNING, logger="hub.limits"):
            await limits.check_request("sekolah-01")
            await limits.check_request("sekolah-01")
            with pytest.raises(LimitExceeded):
                await limits.check_request("sekolah-01")
            await limits.charge_niks("sekolah-01", NIKS[:2])
            with pytest.raises(LimitExceeded):
                await limits.charge_niks("sekolah-01", NIKS[2:3])
    finally:
        await limits.close()
    assert "limits are per process" in caplog.text
    assert NIKS[0] not in caplog.text


async def test_a_hung_redis_is_not_waited_for_on_every_request() -> None:
    """A Redis that accepts connections and never answers costs its timeout once, then
    the limits stay in the process for a few seconds instead of stalling each request."""
    connections = 0

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.read()  # until the client gives up and closes
        writer.close()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    limits = ClientLimits(
        RateLimitItemPerMinute(100), 100, redis_url=f"redis://127.0.0.1:{port}/0", key_prefix="x"
    )
    try:
        for i in range(5):
            await limits.check_request("sekolah-01")
            await limits.charge_niks("sekolah-01", NIKS[i : i + 1])
    finally:
        await limits.close()
        server.close()
        await server.wait_closed()
    assert connections == 1


async def test_counting_in_memory_hands_no_work_to_a_thread(
    local: MakeLimits, monkeypatch: pytest.MonkeyPatch
) -> None:
    # limits' own in-memory sweep sends every key to a thread on every hit; the hub's
    # sweeps inline, so a thread pool busy elsewhere never delays a request's count.
    handed: list[object] = []

    async def to_thread(func: Callable[..., object], /, *args: object) -> object:
        handed.append(func)
        return func(*args)

    monkeypatch.setattr(asyncio, "to_thread", to_thread)
    limits = await local(rate=3)
    for _ in range(3):
        await limits.check_request("sekolah-01")
    with pytest.raises(LimitExceeded, match="requests per"):
        await limits.check_request("sekolah-01")
    await asyncio.sleep(0.05)  # a sweep task limits would have started gets to run
    assert handed == []
