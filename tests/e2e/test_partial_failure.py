"""A source that goes down or slow: its fields are null, the other seven still answer,
its circuit opens, and it answers again once it is back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from connectors.base import Source
from connectors.seeding import seed_city
from hub.app import SOURCES, create_app
from hub.audit import DisclosureLog
from tests.conftest import ScratchDatabases
from tests.e2e.conftest import GraphQLClient, city_settings, grant

CITIZENS, SEED = 600, 11
RESET_SECONDS = 1.0
QUERY = """
query($n: NIK!) {
  citizen(nik: $n) {
    fullName
    schoolAdmissions { level }
    civilServiceApplications { year }
    employment { nip }
    assetsHeld { name }
    procurementRoles { role }
    districtRequests { number }
    queueTickets { number }
  }
}
"""
OTHERS = (
    "civilServiceApplications",
    "employment",
    "assetsHeld",
    "procurementRoles",
    "districtRequests",
    "queueTickets",
)


class Outage:
    """Takes one product database away for real, and brings it back."""

    def __init__(self, admin_dsn: str, database: str) -> None:
        self.admin_dsn = admin_dsn
        self.database = database

    async def _admin(self, *statements: str) -> None:
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    async def stop(self) -> None:
        await self._admin(
            f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS false',
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE datname = '{self.database}' AND pid <> pg_backend_pid()",
        )

    async def start(self) -> None:
        await self._admin(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS true')


@pytest.fixture(scope="module")
async def outage_city(test_databases: ScratchDatabases) -> dict[Source | str, str]:
    """A city of its own, so taking its PSB away does not disturb other tests."""
    dsns = await test_databases.create("outage")
    await seed_city({s: dsns[s] for s in Source}, CITIZENS, SEED)
    return dsns


@pytest.fixture
async def hub(outage_city: dict[Source | str, str]) -> AsyncIterator[tuple[Any, GraphQLClient]]:
    settings = city_settings(
        outage_city,
        source_timeout_ms=500,
        breaker_failures=2,
        breaker_reset_seconds=RESET_SECONDS,
    )
    app = create_app(settings)
    async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession() as session:
        headers = await grant(settings, name="qa-outage")
        yield app, GraphQLClient(session, str(server.make_url("")).rstrip("/"), headers)


def showcase_head() -> str:
    from connectors.city import build_city

    return build_city(CITIZENS, SEED).showcase[0].head.nik


async def test_a_source_down_leaves_its_fields_null_opens_its_circuit_and_recovers(
    hub: tuple[Any, GraphQLClient], admin_dsn: str, outage_city: dict[Source | str, str]
) -> None:
    app, gql = hub
    nik = showcase_head()
    psb_database = outage_city[Source.PSB].split("?")[0].rsplit("/", 1)[1]
    outage = Outage(admin_dsn, psb_database)

    healthy = await gql.post(QUERY, n=nik)
    assert "errors" not in healthy
    assert healthy["data"]["citizen"]["schoolAdmissions"] == []

    await outage.stop()
    try:
        for attempt in (1, 2):
            body = await gql.post(QUERY, n=nik)
            citizen = body["data"]["citizen"]
            assert citizen["schoolAdmissions"] is None
            assert citizen["fullName"] and all(citizen[f] is not None for f in OTHERS)
            [error] = body["errors"]
            assert error["path"] == ["citizen", "schoolAdmissions"]
            assert error["extensions"] == {"code": "SOURCE_UNAVAILABLE", "source": "PSB"}
            psb = body["extensions"]["sources"]["PSB"]
            assert psb["status"] == "unavailable"
            assert psb["circuit"] == ("closed" if attempt == 1 else "opened")
            assert body["extensions"]["sources"]["SIKDA"]["status"] == "ok"

        # Open: answered at once, without touching the database.
        before = app[SOURCES][Source.PSB].statements
        started = time.perf_counter()
        body = await gql.post(QUERY, n=nik)
        assert time.perf_counter() - started < 0.5
        assert app[SOURCES][Source.PSB].statements == before
        assert body["extensions"]["sources"]["PSB"]["status"] == "circuit_open"
        assert body["errors"][0]["extensions"]["source"] == "PSB"
        status = await gql.post("{ sources { system reachable circuit } }")
        psb_status = next(s for s in status["data"]["sources"] if s["system"] == "PSB")
        assert psb_status == {"system": "PSB", "reachable": False, "circuit": "OPEN"}
        # Every instance shares PSB: its outage degrades the hub, it does not take this
        # instance out of the load balancer's pool.
        async with gql.session.get(gql.url + "/readyz") as r:
            ready = await r.json()
            assert r.status == 200 and ready["status"] == "degraded", ready
            assert ready["sources"]["PSB"]["reachable"] is False
            assert ready["reasons"] == ["source PSB does not answer"]
    finally:
        await outage.start()

    await asyncio.sleep(RESET_SECONDS + 0.2)  # the circuit lets a probe through
    body = await gql.post(QUERY, n=nik)
    assert "errors" not in body, body.get("errors")
    assert body["data"]["citizen"]["schoolAdmissions"] == []
    assert body["extensions"]["sources"]["PSB"] == {
        **body["extensions"]["sources"]["PSB"],
        "status": "ok",
        "circuit": "closed",
    }


async def test_a_slow_source_times_out_and_the_rest_still_answers(
    hub: tuple[Any, GraphQLClient], outage_city: dict[Source | str, str]
) -> None:
    _, gql = hub
    nik = showcase_head()
    # A long-running transaction holding an exclusive lock: every read of the
    # applicants' table waits, as it would behind a stuck migration on the product.
    blocker = await asyncpg.connect(outage_city[Source.PSB])
    try:
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("LOCK TABLE pendaftar IN ACCESS EXCLUSIVE MODE")
        started = time.perf_counter()
        body = await gql.post(QUERY, n=nik)
        elapsed = time.perf_counter() - started
        await transaction.rollback()
    finally:
        await blocker.close()
    assert elapsed < 2.0
    citizen = body["data"]["citizen"]
    assert citizen["schoolAdmissions"] is None
    assert all(citizen[f] is not None for f in OTHERS)
    [error] = body["errors"]
    assert error["extensions"] == {"code": "SOURCE_TIMEOUT", "source": "PSB"}
    assert body["extensions"]["sources"]["PSB"]["status"] == "timeout"
    # The citizen's log records what the answer showed, not the field that failed.
    pool = await asyncpg.create_pool(outage_city["hub"], min_size=1, max_size=1)
    try:
        [latest] = (await DisclosureLog(pool).access_log([nik], 1))[nik]
    finally:
        await pool.close()
    assert "schoolAdmissions" not in latest.fields
    assert {"fullName", *OTHERS} <= set(latest.fields)


async def test_a_row_the_hub_cannot_read_fails_its_own_field_and_no_other(
    hub: tuple[Any, GraphQLClient], outage_city: dict[Source | str, str]
) -> None:
    """Root fields share a product's statement; one citizen's unreadable row must not
    take the other fields' answers with it (a status value the connector does not know)."""
    _, gql = hub
    psb = await asyncpg.connect(outage_city[Source.PSB])
    siak = await asyncpg.connect(outage_city[Source.SIAK])
    try:
        registered = {r["nik"] for r in await siak.fetch("SELECT nik FROM penduduk")}
        applicants = [
            r["nik"]
            for r in await psb.fetch("SELECT DISTINCT nik FROM pendaftar ORDER BY nik")
            if r["nik"] in registered
        ]
        broken, fine = applicants[:2]
        kept = await psb.fetch("SELECT id, status_seleksi FROM pendaftar WHERE nik = $1", broken)
        await psb.execute(
            "UPDATE pendaftar SET status_seleksi = 'DIBATALKAN' WHERE nik = $1", broken
        )
        try:
            body = await gql.post(
                """query($a: NIK!, $b: NIK!) {
                  a: citizen(nik: $a) { schoolAdmissions { level } }
                  b: citizen(nik: $b) { schoolAdmissions { level status } }
                }""",
                a=broken,
                b=fine,
            )
        finally:
            await psb.executemany(
                "UPDATE pendaftar SET status_seleksi = $2 WHERE id = $1",
                [tuple(row) for row in kept],
            )
    finally:
        await psb.close()
        await siak.close()
    assert body["data"]["a"]["schoolAdmissions"] is None
    assert [e["path"] for e in body["errors"]] == [["a", "schoolAdmissions"]]
    assert body["data"]["b"]["schoolAdmissions"], body
