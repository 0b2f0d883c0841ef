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
from hub.keys import AUDIT_SINK
from tests.e2e.conftest import city_settings, grant

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
  citizens(niks: $niks) { nik fullName deceased diedOn ...Products }
}
"""

# Per level of citizens: one statement per product and one to the hub's crosswalk (the
# walk-in tickets matched by phone); Antrian a second, for those tickets by id. The test
# NIKs always include a showcase head, who has such a ticket, so that read happens.
ONE_EACH = {**{s.name: 1 for s in Source}, "HUB": 1, "ANTRIAN": 2, "AUDIT": 1}

IDENTIFIERS = """
query($niks: [NIK!]!) {
  citizens(niks: $niks) {
    nik
    identifiers { kind value system sourceRecord method confidence via linkedAt lastSeen }
    queueTickets { number link matchConfidence }
    employment { nip }
    assetsHeld { assetCode }
  }
}
"""


class CountingHub:
    def __init__(self, app: Application, server: TestServer, headers: dict[str, str]) -> None:
        self.app = app
        self.url = str(server.make_url("/graphql"))
        self.headers = headers

    async def statements(
        self, query: str, **variables: Any
    ) -> tuple[dict[str, Any], dict[str, int]]:
        """Run ``query`` and return its answer and the statements each source received.

        ``AUDIT`` counts the disclosure log's writes, which are part of every answer.
        """
        sources = self.app[SOURCES]
        databases = [*sources.values(), sources.store]
        for db in databases:
            assert db is not None
            db.statements = 0
        audit = self.app[AUDIT_SINK].log
        audit_before = audit.statements
        payload = {"query": query, "variables": variables}
        async with (
            aiohttp.ClientSession(headers=self.headers) as session,
            session.post(self.url, json=payload) as r,
        ):
            body: dict[str, Any] = await r.json()
        counts = {db.source.name: db.statements for db in databases if db and db.statements}
        if audit.statements != audit_before:
            counts["AUDIT"] = audit.statements - audit_before
        return body, counts


@pytest.fixture(scope="module")
async def hub(city_dsns: dict[Source | str, str]) -> AsyncIterator[CountingHub]:
    settings = city_settings(city_dsns)
    app = create_app(settings)
    async with TestServer(app, host="127.0.0.1") as server:
        yield CountingHub(app, server, await grant(settings, name="qa-count"))


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


def _niks(seed_report: SeedReport, n: int) -> list[str]:
    assert seed_report.city is not None
    showcase = [m.nik for f in seed_report.city.showcase for m in f.members]
    return (showcase + [p.nik for p in seed_report.city.adults()])[:n]


@pytest.mark.parametrize("n", [1, 10, 100])
async def test_identifiers_cost_one_statement_to_the_crosswalk_whatever_the_citizens(
    hub: CountingHub, seed_report: SeedReport, n: int
) -> None:
    body, counts = await hub.statements(IDENTIFIERS, niks=_niks(seed_report, n))
    assert "errors" not in body, body["errors"]
    citizens = body["data"]["citizens"]
    assert len(citizens) == n and citizens[0]["identifiers"]
    # The crosswalk once (identifiers and matched tickets together); SIPBD through SIKDa.
    assert counts == {"SIAK": 1, "SIKDA": 1, "SIPBD": 1, "ANTRIAN": 2, "HUB": 1, "AUDIT": 1}
    assert "HUB" in body["extensions"]["sources"]


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
    assert counts == {"SIAK": 1, "SIKDA": 1, "AUDIT": 1}
    body, counts = await hub.statements(query, n=nik, withSchool=True)
    assert body["data"]["citizen"]["schoolAdmissions"] == []
    assert counts == {"SIAK": 1, "SIKDA": 1, "PSB": 1, "AUDIT": 1}
