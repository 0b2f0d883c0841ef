"""One SQL statement per source per nesting level, whatever the number of citizens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from aiohttp.web import Application

from connectors.base import Source
from connectors.seeding import SeedReport
from hub.app import SOURCES, create_app
from tests.e2e.conftest import city_settings

ALL_PRODUCTS = """
fragment Products on Citizen {
  schoolAdmissions { registrationNumber }
  civilServiceApplications { registrationNumber }
  employment { nip }
  assetsHeld { assetCode }
  procurementRoles { role tenders { tenderCode } }
  districtRequests { number }
  queueTickets { number }
}
query($niks: [NIK!]!) {
  citizens(niks: $niks) { nik fullName ...Products }
}
"""

ONE_EACH = {s.name: 1 for s in Source}


class CountingHub:
    def __init__(self, app: Application, server: TestServer) -> None:
        self.app = app
        self.url = str(server.make_url("/graphql"))

    async def statements(
        self, query: str, **variables: Any
    ) -> tuple[dict[str, Any], dict[str, int]]:
        """Run ``query`` and return its answer and the statements each source received."""
        sources = self.app[SOURCES]
        for db in sources.values():
            db.statements = 0
        payload = {"query": query, "variables": variables}
        async with aiohttp.ClientSession() as session, session.post(self.url, json=payload) as r:
            body: dict[str, Any] = await r.json()
        counts = {s.name: db.statements for s, db in sources.items() if db.statements}
        return body, counts


@pytest.fixture(scope="module")
async def hub(city_dsns: dict[Source | str, str]) -> AsyncIterator[CountingHub]:
    app = create_app(city_settings(city_dsns))
    async with TestServer(app, host="127.0.0.1") as server:
        yield CountingHub(app, server)


@pytest.mark.parametrize("n", [1, 10, 100])
async def test_citizens_with_all_eight_products_costs_one_statement_per_source(
    hub: CountingHub, seed_report: SeedReport, n: int
) -> None:
    assert seed_report.city is not None
    showcase = [m.nik for f in seed_report.city.showcase for m in f.members]
    niks = (showcase + [p.nik for p in seed_report.city.adults()])[:n]
    body, counts = await hub.statements(ALL_PRODUCTS, niks=niks)
    assert "errors" not in body
    assert len(body["data"]["citizens"]) == n
    assert all(c is not None for c in body["data"]["citizens"])
    assert counts == ONE_EACH


async def test_a_family_costs_one_statement_per_source_per_level(
    hub: CountingHub, seed_report: SeedReport
) -> None:
    assert seed_report.city is not None
    query = (
        "query($kk: String!) { family(familyCardNumber: $kk) {"
        " head { nik } members { citizen { ...Products } } } }" + ALL_PRODUCTS.split("query(")[0]
    )
    body, counts = await hub.statements(query, kk=seed_report.city.showcase[1].kk)
    assert "errors" not in body
    # SIAK: the card, then its members' profiles (head and members are loaded together).
    assert counts == {**ONE_EACH, "SIAK": 2}


async def test_skipped_and_unselected_products_are_not_queried(
    hub: CountingHub, seed_report: SeedReport
) -> None:
    assert seed_report.city is not None
    query = """
    query($n: NIK!, $withSchool: Boolean!) {
      citizen(nik: $n) {
        nik
        ... on Citizen { schoolAdmissions @include(if: $withSchool) { level } }
        work: employment @skip(if: false) { nip }
      }
    }
    """
    nik = seed_report.city.showcase[0].head.nik
    body, counts = await hub.statements(query, n=nik, withSchool=False)
    assert body["data"]["citizen"]["work"]["nip"]
    assert "schoolAdmissions" not in body["data"]["citizen"]
    assert counts == {"SIAK": 1, "SIKDA": 1}
    body, counts = await hub.statements(query, n=nik, withSchool=True)
    assert body["data"]["citizen"]["schoolAdmissions"] == []
    assert counts == {"SIAK": 1, "SIKDA": 1, "PSB": 1}
