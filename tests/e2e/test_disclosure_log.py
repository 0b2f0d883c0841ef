"""The disclosure log behind the HTTP API: concurrent requests share its statements, its
chain verifies after them, and a citizen's log names the consent each app read under.

The hub here has a hub database of its own (the seeded city's products behind it), so
the server's own statistics of ``disclosures_append`` (``track_functions``) count this
app's calls and no one else's: a count taken by PostgreSQL, not by the hub.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from connectors.base import Source
from connectors.city import Family
from connectors.seeding import SeedReport
from hub.app import create_app
from hub.audit import verify_chain
from hub.auth import issue_citizen_token
from hub.auth.clients import add_client, add_purpose
from hub.auth.tokens import citizen_pseudonym, issue_app_token
from hub.keys import AUDIT_SINK
from hub.oauth.store.consents import grant_consent
from hub.oauth.store.grants import create_grant
from hub.settings import Settings
from identity.nik import NIK
from tests.conftest import ScratchDatabases
from tests.e2e.conftest import grant, own_hub_settings

CONCURRENT = 50
CALLS = """
SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = 'disclosures_append'
"""


@pytest.fixture(scope="module")
async def settings(
    test_databases: ScratchDatabases, city_dsns: dict[Source | str, str]
) -> Settings:
    settings = await own_hub_settings(test_databases, city_dsns, "disclosure_log")
    assert settings.hub_dsn is not None
    admin = await asyncpg.connect(test_databases.admin_dsn)
    try:
        database = urlsplit(settings.hub_dsn).path.lstrip("/")  # the host may be a socket path
        await admin.execute(f'ALTER DATABASE "{database}" SET track_functions = pl')
    finally:
        await admin.close()
    return settings


async def ask(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], query: str
) -> dict[str, Any]:
    async with session.post(url, json={"query": query}, headers=headers) as response:
        body: dict[str, Any] = await response.json()
        return body


async def settled_calls(dsn: str) -> int:
    """The server's count of calls once the app's connections have reported theirs (a
    backend reports its statistics when it exits, or within a second when idle)."""
    conn = await asyncpg.connect(dsn)
    try:
        last, steady, deadline = -1, 0, time.monotonic() + 15
        while time.monotonic() < deadline:
            await conn.execute("SELECT pg_stat_clear_snapshot()")
            calls: int = await conn.fetchval(CALLS)
            steady = steady + 1 if calls == last and calls > 0 else 0
            if steady >= 3:
                return calls
            last = calls
            await asyncio.sleep(0.3)
        return last
    finally:
        await conn.close()


async def test_fifty_concurrent_requests_send_well_below_fifty_disclosure_statements(
    settings: Settings, seed_report: SeedReport
) -> None:
    assert seed_report.city is not None and settings.hub_dsn is not None
    niks = [p.nik for p in seed_report.city.adults()][:CONCURRENT]
    headers = await grant(settings, frozenset({"siak:profile"}), name="qa-disclosure-load")
    app = create_app(settings)
    async with TestServer(app, host="127.0.0.1") as server:
        url = str(server.make_url("/graphql"))
        writer = app[AUDIT_SINK].log.writer.writer_id
        async with aiohttp.ClientSession() as session:
            bodies = await asyncio.gather(
                *(
                    ask(session, url, headers, f'{{ citizen(nik: "{nik}") {{ fullName }} }}')
                    for nik in niks
                )
            )
    assert all("errors" not in b and b["data"]["citizen"]["fullName"] for b in bodies), bodies
    calls = await settled_calls(settings.hub_dsn)
    assert 1 <= calls <= CONCURRENT // 3, f"{calls} disclosure statements for {CONCURRENT}"

    conn = await asyncpg.connect(settings.hub_dsn)
    try:
        result = await verify_chain(conn)
        logged = await conn.fetchval(
            "SELECT count(DISTINCT nik) FROM disclosures WHERE writer = $1", writer
        )
    finally:
        await conn.close()
    assert result.intact, result.problems
    assert logged == CONCURRENT
    assert [(c.writer, c.seq) for c in result.chains] == [(writer, CONCURRENT)]


ACCESS_LOG = "{ me { accessLog(last: 10) { requestId clientId purpose consentId } } }"


async def test_the_citizen_sees_the_consent_each_app_read_under(
    settings: Settings, family: Family
) -> None:
    assert settings.hub_dsn is not None
    nik = family.head.nik
    partner = await grant(settings, frozenset({"siak:profile"}), name="qa-consent-partner")
    pool = await asyncpg.create_pool(settings.hub_dsn, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await add_purpose(conn, "beasiswa", "Beasiswa pendidikan kota")
            app_client, _ = await add_client(
                conn,
                "Aplikasi Beasiswa",
                ["siak:profile"],
                {"beasiswa": ["siak:profile"]},
                public=True,
                redirect_uris=["https://beasiswa.example.id/kembali"],
            )
            subject = "citizen:" + await citizen_pseudonym(conn, NIK.parse(nik))
            now = time.time()
            scopes = ["siak:profile"]
            consent_id = await grant_consent(
                conn, subject, app_client.client_id, "beasiswa", scopes, scopes, now, 30
            )
            grant_id = await create_grant(
                conn,
                client_id=app_client.client_id,
                subject=subject,
                nik=nik,
                scopes=scopes,
                purpose="beasiswa",
                consent_id=consent_id,
                now=now,
                seconds=3600,
            )
            app_token = await issue_app_token(
                conn,
                settings.auth,
                client_id=app_client.client_id,
                subject=subject,
                nik=nik,
                scopes=frozenset(scopes),
                purpose="beasiswa",
                grant_id=grant_id,
                consent_id=consent_id,
            )
        own = await issue_citizen_token(pool, settings.auth, nik)
    finally:
        await pool.close()
    app = create_app(settings)
    async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession() as session:
        url = str(server.make_url("/graphql"))
        by_app = {"Authorization": f"Bearer {app_token.access_token}"}
        body = await ask(session, url, by_app, "{ me { fullName } }")
        assert body["data"]["me"]["fullName"], body
        body = await ask(session, url, partner, f'{{ citizen(nik: "{nik}") {{ fullName }} }}')
        assert body["data"]["citizen"]["fullName"], body
        mine = {"Authorization": f"Bearer {own.access_token}"}
        body = await ask(session, url, mine, ACCESS_LOG)
    entries = body["data"]["me"]["accessLog"]
    by_client = {e["clientId"]: e for e in entries}
    assert by_client[app_client.client_id]["consentId"] == consent_id
    assert by_client[app_client.client_id]["purpose"] == "beasiswa"
    partner_reads = [e for e in entries if e["purpose"] == "qa-all"]
    assert partner_reads and all(e["consentId"] is None for e in partner_reads)
