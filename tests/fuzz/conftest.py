"""The fuzz runs against the end-to-end hub (tests/e2e/conftest.py) over real HTTP on the
seeded city; its writes go to a small city of their own, so no case can book, cancel or
submit anything in the city the other tests count.

Each test's case count is in its ``@cases(N)``: about
2,000 together, under a minute on a two-core machine; ``CITIZEN_HUB_FUZZ_SCALE=10``
multiplies them. The run's total is printed at the end (``fuzz: N cases ...``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, settings

from connectors.base import Source
from connectors.seeding import SeedReport, seed_city
from hub.app import create_app
from hub.identity.sync import sync_databases
from hub.settings import Settings
from tests.conftest import TEST_SEED, ScratchDatabases
from tests.e2e.conftest import (
    citizen_headers,
    city_settings,
    grant,
    hub_settings,
    hub_url,
    partner_headers,
)
from tests.fuzz.checks import TALLY
from tests.fuzz.hostile import forged_tokens

__all__ = ["hub_settings", "hub_url", "partner_headers"]

# Cases per test: about 2,000 in all, under a minute on a two-core machine. A longer run
# multiplies them: CITIZEN_HUB_FUZZ_SCALE=10 .venv/bin/pytest tests/fuzz
SCALE = float(os.environ.get("CITIZEN_HUB_FUZZ_SCALE", "1"))


def cases(count: int) -> settings:
    return settings(FUZZ, max_examples=max(1, round(count * SCALE)))


# No deadline: a case's time is the hub's under load, which bench/ measures, not this;
# no example database: each run draws new cases (a failure prints its reproduce blob).
FUZZ = settings(
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

WRITES_CITIZENS = 300
# The ordinary query a hub must still answer after the fuzz.
CENTRES = "{ serviceCentres { name } }"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLY:
        return
    statuses = ", ".join(f"{k} x{v}" for k, v in sorted(TALLY.items()) if k.startswith("status"))
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(TALLY.items()) if not k.startswith("status"))
    total = sum(v for k, v in TALLY.items() if not k.startswith("status"))
    terminalreporter.write_line(f"fuzz: {total} cases ({kinds}); answers: {statuses}")


class Target:
    """A hub under fuzz and the callers the cases act as (not a dataclass, so that its
    short repr is used: hypothesis prints every argument of a failing case, and the
    tokens would drown the case)."""

    def __init__(
        self,
        url: str,
        partner: dict[str, str],
        citizen: dict[str, str],
        forged: list[str],
        niks: list[str],
    ) -> None:
        self.url = url
        self.partner = partner
        self.citizen = citizen
        self.forged = forged
        self.niks = niks

    def __repr__(self) -> str:
        return f"Target({self.url})"


@pytest.fixture(scope="session")
def reads(
    hub_url: str,
    partner_headers: dict[str, str],
    citizen_token_headers: dict[str, str],
    forged: list[str],
    city_niks: list[str],
) -> Target:
    """The e2e hub on the seeded city."""
    return Target(hub_url, partner_headers, citizen_token_headers, forged, city_niks)


@pytest.fixture(scope="session")
def writes(
    writes_hub: tuple[str, dict[str, str], dict[str, str]], forged: list[str], city_niks: list[str]
) -> Target:
    """The hub on the fuzz's own small city, for mutations."""
    url, partner, citizen = writes_hub
    return Target(url, partner, citizen, forged, city_niks)


@pytest.fixture(scope="session")
def city_niks(seed_report: SeedReport) -> list[str]:
    """NIKs of the test city: the showcase families' and a few hundred more."""
    assert seed_report.city is not None
    showcase = [m.nik for f in seed_report.city.showcase for m in f.members]
    return showcase + [p.nik for p in seed_report.city.people[:300]]


@pytest.fixture(scope="session")
async def citizen_token_headers(hub_settings: Settings, seed_report: SeedReport) -> dict[str, str]:
    assert seed_report.city is not None
    return await citizen_headers(hub_settings, seed_report.city.showcase[0].head.nik)


@pytest.fixture(scope="session")
async def forged(
    hub_url: str, partner_headers: dict[str, str], citizen_token_headers: dict[str, str]
) -> list[str]:
    """Forged and broken tokens made from the hub's own (see tests.fuzz.hostile)."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(hub_url + "/.well-known/jwks.json") as response,
    ):
        jwks = await response.json()
    public = jwks["keys"][0]
    tokens: list[str] = []
    for headers in (partner_headers, citizen_token_headers):
        tokens += forged_tokens(headers["Authorization"].split()[1], public)
    return tokens


@pytest.fixture(scope="session")
async def writes_hub(
    test_databases: ScratchDatabases,
) -> AsyncIterator[tuple[str, dict[str, str], dict[str, str]]]:
    """A hub on a small city of its own: its URL, a partner's and a citizen's headers."""
    dsns = await test_databases.create("fuzzw")
    report = await seed_city({s: dsns[s] for s in Source}, WRITES_CITIZENS, TEST_SEED)
    await sync_databases({s: dsns[s] for s in Source}, dsns["hub"])
    assert report.city is not None
    settings = city_settings(dsns)
    async with TestServer(create_app(settings), host="127.0.0.1") as server:
        partner = await grant(settings, name="qa-fuzz-writes")
        citizen = await citizen_headers(settings, report.city.showcase[0].head.nik)
        yield str(server.make_url("")).rstrip("/"), partner, citizen


@pytest.fixture(scope="session")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # No timeout is a hang the fuzz would not report: every answer must come in 30 s.
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout, auto_decompress=False) as session:
        yield session


async def still_answers(session: aiohttp.ClientSession, target: Target) -> None:
    """The hub answers an ordinary public query and an ordinary partner query."""
    url, partner, nik = target.url, target.partner, target.niks[0]
    async with session.post(url + "/graphql", json={"query": CENTRES}) as response:
        assert response.status == 200
        assert (await response.json())["data"]["serviceCentres"]
    query = "query($n: NIK!) { citizen(nik: $n) { nik } }"
    async with session.post(
        url + "/graphql", json={"query": query, "variables": {"n": nik}}, headers=partner
    ) as response:
        assert response.status == 200
        assert (await response.json())["data"]["citizen"]["nik"] == nik
