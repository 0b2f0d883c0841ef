"""The hub served over real HTTP on loopback, on the seeded test city."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from connectors.base import Source
from connectors.city import Family
from connectors.seeding import SeedReport, seed_city
from hub.app import create_app
from hub.audit import DisclosureEntry, DisclosureLog
from hub.auth import SCOPES, issue_citizen_token, issue_client_token
from hub.auth.clients import add_client, add_purpose
from hub.auth.tokens import signing_keys
from hub.identity.sync import sync_databases
from hub.migrate import migrate
from hub.settings import Limits, Settings
from tests.conftest import TEST_CITIZENS, TEST_SEED, ScratchDatabases

# The graph's own tests run many NIKs through one client: far above the demo budget.
TEST_LIMITS = {
    "requests_per_minute": 100_000,
    "distinct_niks_per_hour": 1_000_000,
    "cost_per_minute": 100_000_000,
}
QA_PURPOSE = "qa-all"


def city_settings(dsns: dict[Source | str, str], **limits: Any) -> Settings:
    return Settings(
        host="127.0.0.1",
        port=0,
        source_dsns={s: dsns[s] for s in Source},
        hub_dsn=dsns["hub"],
        limits=Limits(**{**TEST_LIMITS, **limits}),
    )


async def own_hub_settings(
    test_databases: ScratchDatabases, city_dsns: dict[Source | str, str], label: str
) -> Settings:
    """Settings on the test city with a hub database of its own (migrated, with a
    signing key as the hub's startup makes it): for tests that count or read the
    disclosure log, which the shared hub database's other tests write to."""
    own = await test_databases.create(label)
    settings = city_settings({**{s: city_dsns[s] for s in Source}, "hub": own["hub"]})
    conn = await asyncpg.connect(own["hub"])
    try:
        await migrate(conn)
        await signing_keys(settings.auth).ensure(conn)
    finally:
        await conn.close()
    return settings


async def grant(
    settings: Settings,
    scopes: frozenset[str] = SCOPES,
    *,
    name: str = "qa-all",
    purpose: str = QA_PURPOSE,
) -> dict[str, str]:
    """Register a partner client with ``scopes`` under ``purpose`` and return the headers
    of a request made with its token (Authorization and X-Purpose)."""
    assert settings.hub_dsn is not None
    pool = await asyncpg.create_pool(settings.hub_dsn, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
            await add_purpose(conn, purpose, "quality assurance of the hub itself")
            client, _secret = await add_client(conn, name, scopes, {purpose: scopes})
        token = await issue_client_token(pool, settings.auth, client.client_id, purpose=purpose)
    finally:
        await pool.close()
    return {"Authorization": f"Bearer {token.access_token}", "X-Purpose": purpose}


async def citizen_headers(settings: Settings, nik: str) -> dict[str, str]:
    """Headers of a request made with a citizen token for ``nik``."""
    assert settings.hub_dsn is not None
    pool = await asyncpg.create_pool(settings.hub_dsn, min_size=1, max_size=2)
    try:
        token = await issue_citizen_token(pool, settings.auth, nik)
    finally:
        await pool.close()
    return {"Authorization": f"Bearer {token.access_token}"}


@pytest.fixture(scope="session")
async def hub_settings(city_dsns: dict[Source | str, str]) -> Settings:
    return city_settings(city_dsns)


@pytest.fixture(scope="session")
async def hub_url(hub_settings: Settings) -> AsyncIterator[str]:
    server = TestServer(create_app(hub_settings), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@pytest.fixture(scope="session")
async def partner_headers(hub_url: str, hub_settings: Settings) -> dict[str, str]:
    """A partner with every scope, under a registered purpose (after the hub made its keys)."""
    return await grant(hub_settings)


class GraphQLClient:
    """POSTs GraphQL to a running hub; ``url`` is the hub's base URL."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.session = session
        self.url = url
        self.headers = headers or {}

    async def post(self, query: str, **variables: Any) -> dict[str, Any]:
        async with self.session.post(
            self.url + "/graphql",
            json={"query": query, "variables": variables},
            headers=self.headers,
        ) as response:
            assert response.status == 200, await response.text()
            body: dict[str, Any] = await response.json()
            return body


@pytest.fixture
async def gql(hub_url: str, partner_headers: dict[str, str]) -> AsyncIterator[GraphQLClient]:
    async with aiohttp.ClientSession() as session:
        yield GraphQLClient(session, hub_url, partner_headers)


@pytest.fixture
async def ws_hub(city_dsns: dict[Source | str, str]) -> AsyncIterator[tuple[Any, str, Settings]]:
    """A hub of this test's own (its app, URL and settings) whose revocation cache, and
    so its sockets' token checks, is short: for tests that revoke a client mid-socket."""
    settings = city_settings(city_dsns)
    settings = replace(settings, auth=replace(settings.auth, revocation_cache_seconds=0.2))
    app = create_app(settings)
    async with TestServer(app, host="127.0.0.1") as server:
        yield app, str(server.make_url("")).rstrip("/"), settings


@pytest.fixture(scope="session")
def showcase_nik(seed_report: SeedReport) -> str:
    assert seed_report.city is not None
    return seed_report.city.showcase[0].head.nik


@pytest.fixture(scope="session")
def graphiql_query() -> str:
    # The public catalogue: GraphiQL opened without a token may read it.
    return "{ serviceCentres { name } }"


@pytest.fixture(scope="session")
def graphiql_expected() -> str:
    return "MPP Kota Tangerang"


@pytest.fixture(scope="session")
def family(seed_report: SeedReport) -> Family:
    """The first showcase family: a civil-servant head, a spouse, children."""
    assert seed_report.city is not None
    return seed_report.city.showcase[0]


@pytest.fixture(scope="session")
def other_family(seed_report: SeedReport) -> Family:
    """Another showcase family: strangers to the first."""
    assert seed_report.city is not None
    return seed_report.city.showcase[1]


async def logged_entries(
    settings: Settings, request_id: str, niks: list[str]
) -> dict[str, list[DisclosureEntry]]:
    """The disclosure log's entries of the request ``request_id``, for each of ``niks``."""
    assert settings.hub_dsn is not None
    pool = await asyncpg.create_pool(settings.hub_dsn, min_size=1, max_size=1)
    try:
        log = await DisclosureLog(pool).access_log(niks, 500)
    finally:
        await pool.close()
    return {nik: [e for e in log[nik] if e.request_id == request_id] for nik in niks}


async def logged_for(settings: Settings, request_id: str, niks: list[str]) -> set[str]:
    """Which of ``niks`` the disclosure log holds for the request ``request_id``."""
    logged = await logged_entries(settings, request_id, niks)
    return {nik for nik, entries in logged.items() if entries}


@pytest.fixture(scope="session")
def acting_family(seed_report: SeedReport) -> Family:
    """A family whose head has a spouse and a minor child, outside the showcase: the
    services tests book and submit for it, leaving the showcase's records as seeded."""
    assert seed_report.city is not None
    showcase = {f.kk for f in seed_report.city.showcase}
    return next(
        f
        for f in seed_report.city.families
        if f.kk not in showcase
        and f.head.relationship == "KEPALA KELUARGA"
        and any(m.relationship == "ISTRI" for m in f.members)
        and any(m.relationship == "ANAK" and m.age() < 15 for m in f.members)
    )


async def realistic_city(
    test_databases: ScratchDatabases, name: str, citizens: int, seed: int
) -> dict[Source | str, str]:
    """A city of the test's own with the realistic mess planted and its crosswalk synced."""
    dsns = await test_databases.create(name)
    await seed_city({s: dsns[s] for s in Source}, citizens, seed, realistic=True)
    await sync_databases({s: dsns[s] for s in Source}, dsns["hub"])
    return dsns


@pytest.fixture(scope="session")
async def writable_dsns(test_databases: ScratchDatabases) -> dict[Source | str, str]:
    """A second copy of the test city (same seed, same people) for tests that write:
    bookings and requests there leave the seeded city the other tests count intact."""
    dsns = await test_databases.create("writes")
    await seed_city({s: dsns[s] for s in Source}, TEST_CITIZENS, TEST_SEED)
    await sync_databases({s: dsns[s] for s in Source}, dsns["hub"])
    return dsns


@pytest.fixture(scope="session")
async def writable_hub(
    writable_dsns: dict[Source | str, str],
) -> AsyncIterator[tuple[str, Settings]]:
    """The hub served over the writable copy of the city: its URL and settings."""
    settings = city_settings(writable_dsns)
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/"), settings
    finally:
        await server.close()
