"""The hub served over real HTTP on loopback, on the seeded test city."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from connectors.base import Source
from connectors.seeding import SeedReport
from hub.app import create_app
from hub.settings import Limits, Settings


def city_settings(dsns: dict[Source | str, str], **limits: Any) -> Settings:
    return Settings(
        host="127.0.0.1",
        port=0,
        source_dsns={s: dsns[s] for s in Source},
        hub_dsn=dsns["hub"],
        limits=Limits(**limits),
    )


@pytest.fixture(scope="session")
async def hub_url(city_dsns: dict[Source | str, str]) -> AsyncIterator[str]:
    server = TestServer(create_app(city_settings(city_dsns)), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


class GraphQLClient:
    """POSTs GraphQL to a running hub; ``url`` is the hub's base URL."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def post(self, query: str, **variables: Any) -> dict[str, Any]:
        async with self.session.post(
            self.url + "/graphql", json={"query": query, "variables": variables}
        ) as response:
            assert response.status == 200, await response.text()
            body: dict[str, Any] = await response.json()
            return body


@pytest.fixture
async def gql(hub_url: str) -> AsyncIterator[GraphQLClient]:
    async with aiohttp.ClientSession() as session:
        yield GraphQLClient(session, hub_url)


@pytest.fixture(scope="session")
def showcase_nik(seed_report: SeedReport) -> str:
    assert seed_report.city is not None
    return seed_report.city.showcase[0].head.nik


@pytest.fixture(scope="session")
def graphiql_query(showcase_nik: str) -> str:
    return f'{{ citizen(nik: "{showcase_nik}") {{ fullName }} }}'


@pytest.fixture(scope="session")
def graphiql_expected(seed_report: SeedReport) -> str:
    assert seed_report.city is not None
    return seed_report.city.showcase[0].head.name
