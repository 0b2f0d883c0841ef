"""The live ticket feed on a real PostgreSQL: changes made straight in the Antrian
database reach the watchers, with the trigger and without it, across a killed
connection and a database that refuses connections for a while."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta

import asyncpg
import pytest

from connectors.antrian.feed import (
    APPLICATION_NAME,
    FeedEvent,
    FeedRestored,
    FeedUnavailable,
    TicketChanged,
    TicketFeed,
    Watch,
)
from connectors.antrian.notify import install_notify, notify_installed, uninstall_notify
from connectors.antrian.records import TicketStatus
from connectors.base import Source
from connectors.city import City
from connectors.registry import CONNECTORS
from connectors.seeding import MARKER, load_source
from hub.embedded import ensure_databases
from tests.conftest import ScratchDatabases, dsn_for

WAIT = 10.0  # seconds an expected event may take, at most


@pytest.fixture(scope="module")
async def feed_db(test_databases: ScratchDatabases, admin_dsn: str, city: City) -> str:
    """The name of a database holding the test city's Antrian rows, for tests that write."""
    name = f"chtest_{secrets.token_hex(3)}_feed_antrian"
    test_databases.created += await ensure_databases(admin_dsn, [name])
    rows = CONNECTORS[Source.ANTRIAN].seeder(city, {})
    await load_source(dsn_for(admin_dsn, name), Source.ANTRIAN, rows, f"{MARKER} feed")
    return name


@pytest.fixture(scope="module")
def dsn(admin_dsn: str, feed_db: str) -> str:
    return dsn_for(admin_dsn, feed_db)


@pytest.fixture
async def db(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to make changes with, as the product's own screens would."""
    conn = await asyncpg.connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def waiting(db: asyncpg.Connection) -> list[tuple[str, str, date]]:
    """Three new waiting tickets of one queue, (id, service, day), for this test alone."""
    day = date(2026, 11, 2) + timedelta(days=secrets.randbelow(300))
    rows = await db.fetch(
        "INSERT INTO tiket (id_tiket, nomor_tiket, tanggal, kode_layanan, status, sumber,"
        "                   waktu_ambil)"
        " SELECT (SELECT max(id_tiket) FROM tiket) + n, 'A-' || lpad(n::text, 3, '0'), $1,"
        "        'MPP04-A', 'MENUNGGU', 'WALKIN', now()"
        "   FROM generate_series(1, 3) AS n"
        " RETURNING id_tiket, kode_layanan, tanggal",
        day,
    )
    return [(str(r["id_tiket"]), r["kode_layanan"], r["tanggal"]) for r in rows]


async def next_event(watch: Watch, within: float = WAIT) -> FeedEvent:
    return await asyncio.wait_for(anext(watch), within)


async def next_change(watch: Watch, ticket_id: str, within: float = WAIT) -> TicketChanged:
    """The next change of ``ticket_id``, passing over other events."""
    async with asyncio.timeout(within):
        while True:
            event = await anext(watch)
            if isinstance(event, TicketChanged) and event.ticket_id == ticket_id:
                return event


async def call(db: asyncpg.Connection, ticket_id: str, counter: str | None = None) -> None:
    await db.execute(
        "UPDATE tiket SET status = 'DIPANGGIL', kode_loket = $2, waktu_panggil = now()"
        " WHERE id_tiket = $1",
        int(ticket_id),
        counter,
    )


async def feed_backends(db: asyncpg.Connection) -> list[int]:
    rows = await db.fetch(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1"
        " AND datname = current_database()",
        APPLICATION_NAME,
    )
    return [r["pid"] for r in rows]


async def until(condition: Callable[[], bool], within: float = WAIT) -> None:
    for _ in range(int(within / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"not true within {within}s")


async def test_with_the_trigger_a_change_made_by_sql_reaches_every_hub_instance(
    dsn: str, db: asyncpg.Connection, waiting: list[tuple[str, str, date]]
) -> None:
    await install_notify(db)
    await install_notify(db)  # installing twice changes nothing
    assert await notify_installed(db)
    ticket, service, day = waiting[0]
    # Polls far apart: only a notification can bring the change in time.
    async with (
        TicketFeed(dsn, poll_interval=600, recheck_interval=600) as one,
        TicketFeed(dsn, poll_interval=600, recheck_interval=600) as two,
        one.watch(tickets=[ticket]) as first,
        two.watch(queues=[(service, day)]) as second,
    ):
        await until(lambda: one.mode == two.mode == "listen")
        await call(db, ticket)
        for watch in (first, second):
            change = await next_change(watch, ticket)
            assert change.status is TicketStatus.CALLED
            assert (change.service_code, change.visit_date) == (service, day)
        # A new ticket in a watched queue is told too.
        (row,) = await db.fetch(
            "INSERT INTO tiket (id_tiket, nomor_tiket, tanggal, kode_layanan, status, sumber,"
            " waktu_ambil) SELECT max(id_tiket) + 1, 'Z-999', $2, $1, 'MENUNGGU', 'WALKIN', now()"
            " FROM tiket RETURNING id_tiket",
            service,
            day,
        )
        new = await next_change(second, str(row["id_tiket"]))
        assert new.status is TicketStatus.WAITING


async def test_without_the_trigger_the_feed_polls_and_sees_the_change(
    dsn: str, db: asyncpg.Connection, waiting: list[tuple[str, str, date]]
) -> None:
    await uninstall_notify(db)
    await uninstall_notify(db)
    assert not await notify_installed(db)
    ticket, cancelled = waiting[0][0], waiting[1][0]
    async with (
        TicketFeed(dsn, poll_interval=0.1) as feed,
        feed.watch(tickets=[ticket, cancelled]) as watch,
    ):
        await until(lambda: feed.mode == "poll")
        await call(db, ticket, None)
        assert (await next_change(watch, ticket)).status is TicketStatus.CALLED
        # A cancellation sets no time: the feed still sees it.
        await db.execute("UPDATE tiket SET status = 'BATAL' WHERE id_tiket = $1", int(cancelled))
        assert (await next_change(watch, cancelled)).status is TicketStatus.CANCELLED


async def test_a_killed_listener_reconnects_and_loses_no_change(
    dsn: str, db: asyncpg.Connection, waiting: list[tuple[str, str, date]]
) -> None:
    await install_notify(db)
    ticket, _, _ = waiting[0]
    async with (
        TicketFeed(dsn, poll_interval=600, recheck_interval=600, backoff=(0.05, 0.2)) as feed,
        feed.watch(tickets=[ticket]) as watch,
    ):
        await until(lambda: feed.mode == "listen")
        (pid,) = await feed_backends(db)
        await db.execute("SELECT pg_terminate_backend($1)", pid)
        # Changed while the feed has no connection: told once it is back.
        await call(db, ticket, None)
        assert (await next_change(watch, ticket)).status is TicketStatus.CALLED
        await until(lambda: feed.mode == "listen")
        (again,) = await feed_backends(db)
        assert again != pid
        await db.execute("UPDATE tiket SET status = 'DILAYANI' WHERE id_tiket = $1", int(ticket))
        assert (await next_change(watch, ticket)).status is TicketStatus.SERVED


async def test_watchers_hear_the_source_is_unavailable_and_then_restored(
    dsn: str,
    admin_dsn: str,
    feed_db: str,
    db: asyncpg.Connection,
    waiting: list[tuple[str, str, date]],
) -> None:
    ticket, _, _ = waiting[0]
    admin = await asyncpg.connect(admin_dsn)
    try:
        async with (
            TicketFeed(dsn, poll_interval=0.1, backoff=(0.05, 0.2)) as feed,
            feed.watch(tickets=[ticket]) as watch,
        ):
            await until(lambda: feed.mode in ("listen", "poll"))
            await admin.execute(f'ALTER DATABASE "{feed_db}" ALLOW_CONNECTIONS false')
            try:
                await admin.execute("SELECT pg_terminate_backend($1)", *await feed_backends(db))
                assert isinstance(await next_event(watch), FeedUnavailable)
                assert feed.mode == "down"
                # Changed during the outage (by a connection made before it).
                await call(db, ticket, None)
            finally:
                await admin.execute(f'ALTER DATABASE "{feed_db}" ALLOW_CONNECTIONS true')
            events = [await next_event(watch), await next_event(watch)]
            assert {type(e) for e in events} == {FeedRestored, TicketChanged}
            (change,) = [e for e in events if isinstance(e, TicketChanged)]
            assert change.ticket_id == ticket and change.status is TicketStatus.CALLED
            assert feed.mode in ("listen", "poll")
    finally:
        await admin.close()


async def test_closing_the_feed_ends_every_watch(dsn: str) -> None:
    feed = TicketFeed(dsn)
    feed.start()
    async with feed.watch(tickets=["100001"]) as watch:
        await feed.close()
        assert [event async for event in watch] == []
    assert feed.mode == "closed"
