"""One SQL statement per source per nesting level, whatever the number of citizens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from aiohttp.web import Application

from connectors.base import Source
from connectors.city import Family
from connectors.seeding import SeedReport
from hub.app import SOURCES, create_app
from hub.keys import AUDIT_SINK
from tests.e2e.conftest import citizen_headers, city_settings, grant

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
# walk-in tickets matched by phone, and the product records in doubt for each NIK, which
# are not served: any product field selected reads it); Antrian a second, for those
# tickets by id. The test
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
        self.request_id = ""  # the last request's X-Request-Id

    async def statements(
        self, query: str, headers: dict[str, str] | None = None, **variables: Any
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
            aiohttp.ClientSession(headers=headers or self.headers) as session,
            session.post(self.url, json=payload) as r,
        ):
            body: dict[str, Any] = await r.json()
            self.request_id = r.headers["X-Request-Id"]
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
    assert counts == {"SIAK": 1, "SIKDA": 1, "HUB": 1, "AUDIT": 1}
    body, counts = await hub.statements(query, n=nik, withSchool=True)
    assert body["data"]["citizen"]["schoolAdmissions"] == []
    assert counts == {"SIAK": 1, "SIKDA": 1, "PSB": 1, "HUB": 1, "AUDIT": 1}


# Root fields beside each other read their citizens together: one statement per source
# for the level, whichever root fields name them and however often.
BESIDE = {
    "two citizens": (
        "query($a: NIK!, $b: NIK!) { a: citizen(nik: $a) { nik ...Products }"
        " b: citizen(nik: $b) { nik fullName ...Products } }"
    ),
    "citizen and citizens": (
        "query($a: NIK!, $b: NIK!) { a: citizen(nik: $a) { nik ...Products }"
        " b: citizens(niks: [$a, $b]) { nik ...Products } }"
    ),
    "citizen and _entities": (
        "query($a: NIK!, $r: [_Any!]!) { a: citizen(nik: $a) { nik ...Products }"
        " b: _entities(representations: $r) { ... on Citizen { nik ...Products } } }"
    ),
}


@pytest.mark.parametrize("shape", sorted(BESIDE))
@pytest.mark.parametrize("same", [True, False], ids=["same NIK", "other NIKs"])
async def test_root_fields_beside_each_other_cost_one_statement_per_source(
    hub: CountingHub, seed_report: SeedReport, shape: str, same: bool
) -> None:
    a, other = _niks(seed_report, 2)
    b = a if same else other
    query = BESIDE[shape] + ALL_PRODUCTS.split("query(")[0]
    r = [{"__typename": "Citizen", "nik": b}]
    body, counts = await hub.statements(query, a=a, b=b, r=r)
    assert "errors" not in body, body["errors"]
    first = body["data"]["a"]
    second = body["data"]["b"]
    second = second[-1] if isinstance(second, list) else second
    assert (first["nik"], second["nik"]) == (a, b)
    assert first["employment"]["nip"]  # the showcase head is a civil servant
    if same:
        assert first["employment"] == second["employment"]
    assert counts == ONE_EACH


async def test_the_disclosure_log_is_read_once_for_every_root_field(
    hub: CountingHub, seed_report: SeedReport
) -> None:
    a, b = _niks(seed_report, 2)
    query = """
    query($a: NIK!, $b: NIK!) {
      a: citizen(nik: $a) { accessSummary { reads } }
      b: citizen(nik: $b) { fullName accessLog(last: 3) { at fields } }
      c: citizen(nik: $a) { accessHistory(last: 5) { hasMore entries { at } } }
    }
    """
    await hub.statements(query, a=a, b=b)  # so that the log has rows for both
    body, counts = await hub.statements(query, a=a, b=b)
    assert "errors" not in body, body["errors"]
    assert body["data"]["a"]["accessSummary"][0]["reads"] >= 1
    assert len(body["data"]["b"]["accessLog"]) >= 1
    assert body["data"]["c"]["accessHistory"]["entries"]
    # One read of the log for the three fields, one append of this answer's rows.
    assert counts == {"SIAK": 1, "AUDIT": 2}


async def test_each_root_field_discloses_what_it_shows_of_whom(
    hub: CountingHub, seed_report: SeedReport
) -> None:
    a, b = _niks(seed_report, 2)
    query = """
    query($a: NIK!, $b: NIK!) {
      a: citizen(nik: $a) { fullName }
      b: citizen(nik: $b) { schoolAdmissions { level } }
    }
    """
    body, counts = await hub.statements(query, a=a, b=b)
    assert "errors" not in body, body["errors"]
    # PSB, and the crosswalk (its records in doubt), for b's NIK alone.
    assert counts == {"SIAK": 1, "PSB": 1, "HUB": 1, "AUDIT": 1}
    log = await hub.app[AUDIT_SINK].log.access_log([a, b], 5)
    rows = {
        nik: [e for e in entries if e.request_id == hub.request_id] for nik, entries in log.items()
    }
    assert [(e.fields, e.sources) for e in rows[a]] == [(("fullName",), ("SIAK",))]
    assert [(e.fields, e.sources) for e in rows[b]] == [(("schoolAdmissions",), ("PSB",))]


async def _signed_in_head(
    seed_report: SeedReport, city_dsns: dict[Source | str, str]
) -> tuple[Family, dict[str, str]]:
    """The first showcase family, and the headers of its head signed in as a citizen."""
    assert seed_report.city is not None
    family = seed_report.city.showcase[0]
    return family, await citizen_headers(city_settings(city_dsns), family.head.nik)


async def test_a_citizen_reads_its_own_data_under_two_root_fields_in_one_statement_each(
    hub: CountingHub, seed_report: SeedReport, city_dsns: dict[Source | str, str]
) -> None:
    family, headers = await _signed_in_head(seed_report, city_dsns)
    child = next(m for m in family.members if m.relationship == "ANAK")
    assert seed_report.city is not None
    stranger = seed_report.city.showcase[1].head.nik
    query = """
    query($child: NIK!) {
      a: me { fullName accessSummary { reads } }
      b: me { nik accessLog(last: 2) { at } schoolAdmissions { level } }
      c: citizen(nik: $child) { schoolAdmissions { level } }
    }
    """
    body, counts = await hub.statements(query, headers, child=child.nik)
    assert "errors" not in body, body["errors"]
    assert body["data"]["a"]["fullName"] == family.head.name
    assert body["data"]["c"]["schoolAdmissions"] is not None
    # SIAK: the viewer's profile with its card (deciding its relations), then the
    # child's profile: the viewer's own is not read again.
    assert counts == {"SIAK": 2, "PSB": 1, "HUB": 1, "AUDIT": 2}
    # Beside its own data, a stranger is still refused, and not read.
    query = "query($s: NIK!) { a: me { fullName } b: citizen(nik: $s) { fullName } }"
    body, counts = await hub.statements(query, headers, s=stranger)
    assert body["data"]["a"]["fullName"] == family.head.name
    assert body["data"]["b"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert counts == {"SIAK": 1, "AUDIT": 1}


async def test_two_family_cards_read_their_members_in_one_statement_per_source(
    hub: CountingHub, seed_report: SeedReport
) -> None:
    assert seed_report.city is not None
    first, second = seed_report.city.showcase[:2]
    query = (
        "query($x: String!, $y: String!) {"
        " x: family(familyCardNumber: $x) { members { citizen { nik ...Products } } }"
        " y: family(familyCardNumber: $y) { head { nik fullName } } }"
        + ALL_PRODUCTS.split("query(")[0]
    )
    body, counts = await hub.statements(query, x=first.kk, y=second.kk)
    assert "errors" not in body, body["errors"]
    assert body["data"]["y"]["head"]["nik"] == second.head.nik
    # SIAK: both cards, then every member shown (both levels shared by x and y).
    assert counts == {**ONE_EACH, "SIAK": 2}


async def test_a_bad_cursor_fails_its_own_field_not_the_log_read_beside_it(
    hub: CountingHub, seed_report: SeedReport
) -> None:
    a, b = _niks(seed_report, 2)
    query = """
    query($a: NIK!, $b: NIK!) {
      a: citizen(nik: $a) { fullName accessLog(before: "not-a-cursor") { at } }
      b: citizen(nik: $b) { accessSummary { reads } }
    }
    """
    await hub.statements(query, a=a, b=b)  # so that b has a row on the log
    body, counts = await hub.statements(query, a=a, b=b)
    assert body["data"]["a"]["accessLog"] is None and body["data"]["a"]["fullName"]
    assert [e["path"] for e in body["errors"]] == [["a", "accessLog"]]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["data"]["b"]["accessSummary"][0]["reads"] >= 1
    assert counts == {"SIAK": 1, "AUDIT": 2}


# The super-app's own operations (hub/static/examples/super-app/), as a citizen signs in.
SUPER_APP = Path(__file__).parents[2] / "hub/static/examples/super-app"


async def test_a_citizens_own_profile_is_read_once_per_request(
    hub: CountingHub, seed_report: SeedReport, city_dsns: dict[Source | str, str]
) -> None:
    family, headers = await _signed_in_head(seed_report, city_dsns)
    body, counts = await hub.statements("{ me { fullName schoolAdmissions { level } } }", headers)
    assert "errors" not in body, body["errors"]
    assert body["data"]["me"]["fullName"] == family.head.name
    # SIAK: the viewer's profile with its card, in one statement, read to decide its
    # relations; ``me`` takes the profile from there.
    assert counts == {"SIAK": 1, "PSB": 1, "HUB": 1, "AUDIT": 1}


async def test_the_super_apps_main_query_reads_the_card_once(
    hub: CountingHub, seed_report: SeedReport, city_dsns: dict[Source | str, str]
) -> None:
    family, headers = await _signed_in_head(seed_report, city_dsns)
    query = (SUPER_APP / "super-app.graphql").read_text()
    body, counts = await hub.statements(query, headers)
    # A parent sees its spouse's name, not the spouse's school admissions.
    assert {e["extensions"]["reason"] for e in body.get("errors", [])} == {"not_own_data"}
    members = body["data"]["me"]["family"]["members"]
    assert sorted(m["citizen"]["fullName"] for m in members) == sorted(
        m.name for m in family.members
    )
    # SIAK: the viewer's profile with its card, then the other members' profiles.
    assert counts == {"SIAK": 2, "PSB": 1, "HUB": 1, "AUDIT": 1}


async def test_withdrawing_a_consent_reads_no_source(
    hub: CountingHub, seed_report: SeedReport, city_dsns: dict[Source | str, str]
) -> None:
    _, headers = await _signed_in_head(seed_report, city_dsns)
    query = (SUPER_APP / "withdraw.graphql").read_text()
    body, counts = await hub.statements(query, headers, app="qa-no-such-app")
    assert body["data"]["revokeConsent"] == {"appId": "qa-no-such-app", "withdrawn": False}
    # Nothing of any citizen is built or shown: the viewer's relations are not read.
    assert counts == {}


async def test_family_cards_resolved_beside_each_other_are_read_in_one_statement(
    hub: CountingHub, seed_report: SeedReport
) -> None:
    assert seed_report.city is not None
    first, second = seed_report.city.showcase[:2]
    query = (
        "query($x: String!, $y: String!) {"
        " x: resolveIdentity(system: SIAK, identifier: $x) { kind candidates { nik } }"
        " y: resolveIdentity(system: SIAK, identifier: $y) { kind candidates { nik } } }"
    )
    body, counts = await hub.statements(query, x=first.kk, y=second.kk)
    assert "errors" not in body, body["errors"]
    assert {c["nik"] for c in body["data"]["y"]["candidates"]} == {m.nik for m in second.members}
    assert counts == {"SIAK": 1, "AUDIT": 1}
