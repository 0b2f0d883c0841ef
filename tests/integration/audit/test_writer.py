"""The disclosure log's group commit on a real PostgreSQL: concurrent requests share one
statement, each is released only once its rows are durable, and a writer whose head
moved under it recovers.

Statements are counted by asyncpg's query logger on every connection of the pool: what
the driver sent to the server, not a count the log keeps of itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson
import pytest

from hub.audit import GENESIS, DisclosureLog, HubPool, create_audit_pool, row_hash_v2
from hub.audit.pool import enter_app_role
from schema.errors import AuditUnavailable
from tests.integration.audit.support import NIKS, request

APPEND = "SELECT disclosures_append($1, $2, $3, $4::jsonb)"


class Sent:
    """Every statement the pool's connections sent."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def appends(self) -> int:
        return sum("disclosures_append" in q for q in self.queries)


@pytest.fixture
async def sent() -> Sent:
    return Sent()


@pytest.fixture
async def pool(hub_dsn: str, owner: asyncpg.Connection[Any], sent: Sent) -> AsyncIterator[HubPool]:
    async def init(conn: asyncpg.Connection[Any]) -> None:
        await enter_app_role(conn)
        conn.add_query_logger(lambda q: sent.queries.append(q.query))

    pool = await asyncpg.create_pool(hub_dsn, min_size=1, max_size=4, init=init)
    try:
        yield pool
    finally:
        await pool.close()


async def test_fifty_concurrent_requests_share_a_few_statements(
    pool: HubPool, owner: asyncpg.Connection[Any], sent: Sent
) -> None:
    batches: list[tuple[int, float]] = []
    log = DisclosureLog(pool, on_flush=lambda size, seconds: batches.append((size, seconds)))
    await asyncio.gather(
        *(log.record(request(f"r{i}", [NIKS[i], NIKS[(i + 1) % 50]])) for i in range(50))
    )
    assert 1 <= sent.appends() <= 5
    assert log.statements == sent.appends()
    assert sum(size for size, _ in batches) == 50 and len(batches) == sent.appends()
    rows = await owner.fetch("SELECT request_id, writer_seq FROM disclosures ORDER BY writer_seq")
    assert len(rows) == 100 and [r["writer_seq"] for r in rows] == list(range(1, 101))
    # Each request's rows lie together in the chain.
    order = [r["request_id"] for r in rows]
    assert all(order[i] == order[i + 1] for i in range(0, 100, 2))
    result = await log.verify()
    assert result.intact, result.problems


async def test_a_lone_request_is_written_at_once_in_one_statement(
    pool: HubPool, sent: Sent
) -> None:
    log = DisclosureLog(pool)
    for i in range(3):
        await log.record(request(f"alone-{i}", NIKS[:3]))
    assert sent.appends() == 3


async def test_every_waiting_request_is_refused_when_its_batch_fails(
    hub_dsn: str, owner: asyncpg.Connection[Any]
) -> None:
    pool = await create_audit_pool(hub_dsn, min_size=1, max_size=1)
    log = DisclosureLog(pool, timeout=2)
    await log.record(request("before", NIKS[:1]))
    await pool.close()
    outcomes = await asyncio.gather(
        *(log.record(request(f"r{i}", NIKS[i : i + 1])) for i in range(10)),
        return_exceptions=True,
    )
    assert all(isinstance(o, AuditUnavailable) for o in outcomes), outcomes
    assert {o.extensions["code"] for o in outcomes if isinstance(o, AuditUnavailable)} == {
        "AUDIT_UNAVAILABLE"
    }
    assert await owner.fetchval("SELECT count(*) FROM disclosures") == 1


async def test_a_writer_whose_head_moved_fails_once_then_rereads_it(
    pool: HubPool, owner: asyncpg.Connection[Any]
) -> None:
    log = DisclosureLog(pool)
    await log.record(request("first", NIKS[:2]))
    # Another process wrongly using the same writer id appends behind the first's back.
    intruder = DisclosureLog(pool, writer_id=log.writer.writer_id)
    await intruder.record(request("intruder", NIKS[2:3]))
    with pytest.raises(AuditUnavailable):
        await log.record(request("stale", NIKS[3:4]))  # refused: it does not chain on
    await log.record(request("after", NIKS[4:5]))  # the head read again: chained on
    rows = await owner.fetch("SELECT request_id FROM disclosures ORDER BY writer_seq")
    assert [r["request_id"] for r in rows] == ["first", "first", "intruder", "after"]
    assert (await log.verify()).intact


async def test_close_writes_what_is_queued_then_refuses(
    pool: HubPool, owner: asyncpg.Connection[Any]
) -> None:
    log = DisclosureLog(pool)
    waiting = [
        asyncio.create_task(log.record(request(f"q{i}", NIKS[i : i + 1]))) for i in range(20)
    ]
    await asyncio.sleep(0)  # the requests have handed over their rows
    await log.close()
    assert await owner.fetchval("SELECT count(*) FROM disclosures") == 20
    await asyncio.gather(*waiting)  # each released without an error
    with pytest.raises(AuditUnavailable, match="shutting down"):
        await log.record(request("late", NIKS[:1]))
    assert await owner.fetchval("SELECT count(*) FROM disclosures") == 20
    await log.close()  # a second close has nothing to do


def batch(writer: str, prev: bytes, at: datetime, spoil: str = "") -> str:
    """One row chained onto ``prev``, as the writer would send it (``spoil`` appended to
    its hash)."""
    values = ("r", "c", "s", "p", None, NIKS[0], ["siak"], ["Citizen.name"])
    digest = row_hash_v2(prev, writer, at, *values[:6], values[6], values[7])
    return orjson.dumps([[*values, digest.hex() + spoil]]).decode()


async def test_the_append_function_checks_link_time_and_shape(
    pool: HubPool, owner: asyncpg.Connection[Any]
) -> None:
    now = datetime.now(UTC)
    async with pool.acquire() as conn:
        # Onto a head the writer does not have.
        with pytest.raises(asyncpg.SerializationError, match="does not chain onto"):
            await conn.fetchval(APPEND, "w1", b"\x01" * 32, now, batch("w1", b"\x01" * 32, now))
        # Backdated, or dated ahead of the server's clock.
        for when in (now - timedelta(hours=1), now + timedelta(minutes=5)):
            with pytest.raises(asyncpg.InvalidParameterValueError, match="server's clock"):
                await conn.fetchval(APPEND, "w1", GENESIS, when, batch("w1", GENESIS, when))
        # A row_hash that is not one: too long (or not hex).
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.fetchval(APPEND, "w1", GENESIS, now, batch("w1", GENESIS, now, "00"))
        with pytest.raises(asyncpg.InvalidParameterValueError):
            await conn.fetchval(APPEND, "w1", GENESIS, now, batch("w1", GENESIS, now, "zz"))
        # Malformed rows and writer ids.
        for writer, bad in (("w1", "[]"), ("w1", '[["r"]]'), ("bad id!", batch("x", GENESIS, now))):
            with pytest.raises(asyncpg.InvalidParameterValueError):
                await conn.fetchval(APPEND, writer, GENESIS, now, bad)
        assert await owner.fetchval("SELECT count(*) FROM disclosures") == 0
        # The same batch, well formed, is appended; sent twice, the second is refused.
        assert await conn.fetchval(APPEND, "w1", GENESIS, now, batch("w1", GENESIS, now)) == 1
        with pytest.raises(asyncpg.SerializationError):
            await conn.fetchval(APPEND, "w1", GENESIS, now, batch("w1", GENESIS, now))
    assert await owner.fetchval("SELECT count(*) FROM disclosures") == 1


async def test_a_row_sent_with_a_hash_not_its_own_is_named_by_verify(
    pool: HubPool, owner: asyncpg.Connection[Any]
) -> None:
    # The function links rows, it does not hash them again: whoever may call it could
    # compute any hash. verify recomputes each one, and names the row.
    now = datetime.now(UTC)
    rows = orjson.loads(batch("w1", GENESIS, now))
    rows[0][4] = "consent-forged"  # the content changed after hashing
    async with pool.acquire() as conn:
        assert await conn.fetchval(APPEND, "w1", GENESIS, now, orjson.dumps(rows).decode()) == 1
    result = await DisclosureLog(pool).verify()
    assert [(p.writer, p.seq, p.kind) for p in result.problems] == [("w1", 1, "altered")]
