"""The citizen graph over real HTTP on the seeded test city."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from connectors.base import Source, SourceDB
from connectors.seeding import SeedReport
from hub.app import SOURCES, create_app
from tests.e2e.conftest import GraphQLClient, city_settings, grant

WHOLE_FAMILY = """
query Family($kk: String!) {
  family(familyCardNumber: $kk) {
    familyCardNumber
    head { nik }
    members {
      relationship
      citizen {
        nik fullName birthDate sex religion maritalStatus occupation
        address { street rt rw kelurahan kecamatanCode kecamatan }
        schoolAdmissions { registrationNumber level route status choices { rank school { name } } }
        civilServiceApplications { registrationNumber year finalStatus skd { twk tiu tkp passed } }
        employment { nip golongan rankTitle position unit status }
        assetsHeld { assetCode name category condition value }
        procurementRoles { role vendor { npwp name } tenders { tenderCode ownerEstimate won } }
        districtRequests { number serviceName status history { status at } }
        queueTickets { number date status channel service { name } centre { name } }
      }
    }
  }
}
"""

PRODUCTS = (
    "schoolAdmissions",
    "civilServiceApplications",
    "employment",
    "assetsHeld",
    "procurementRoles",
    "districtRequests",
    "queueTickets",
)


async def test_a_showcase_family_comes_back_whole_across_all_eight_products(
    gql: GraphQLClient, seed_report: SeedReport
) -> None:
    assert seed_report.city is not None
    family = seed_report.city.showcase[0]
    body = await gql.post(WHOLE_FAMILY, kk=family.kk)
    assert "errors" not in body, body["errors"]
    answer = body["data"]["family"]
    assert answer["familyCardNumber"] == family.kk
    assert answer["head"]["nik"] == family.head.nik
    members = answer["members"]
    assert [m["citizen"]["nik"] for m in members] == [p.nik for p in family.members]
    assert [m["citizen"]["fullName"] for m in members] == [p.name for p in family.members]
    assert members[0]["relationship"] == "HEAD"
    for product in PRODUCTS:
        assert any(m["citizen"][product] for m in members), f"no member has {product}"
    head = members[0]["citizen"]
    assert head["employment"]["nip"][:8] == family.head.birth_date.strftime("%Y%m%d")
    assert len(head["assetsHeld"]) >= 2  # reached through the NIP, SIPBD knows no NIK
    sources = body["extensions"]["sources"]
    # The eight products, and the hub's identity crosswalk for the walk-in tickets.
    assert set(sources) == {
        "SIAK",
        "PSB",
        "CPNS",
        "SIKDA",
        "SIPBD",
        "LPSE",
        "APK",
        "ANTRIAN",
        "HUB",
    }
    assert all(s["status"] == "ok" and s["circuit"] == "closed" for s in sources.values())


async def test_nik_written_with_spaces_or_dots_is_normalised(
    gql: GraphQLClient, seed_report: SeedReport
) -> None:
    assert seed_report.city is not None
    nik = seed_report.city.showcase[0].head.nik
    spaced = " ".join([nik[:4], nik[4:8], nik[8:12], nik[12:]])
    dotted = ".".join([nik[:6], nik[6:12], nik[12:]])
    body = await gql.post(
        "query($a: NIK!, $b: NIK!) { a: citizen(nik: $a) { nik } b: citizen(nik: $b) { nik } }",
        a=spaced,
        b=dotted,
    )
    assert body["data"] == {"a": {"nik": nik}, "b": {"nik": nik}}


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("3671", "length"),
        ("3671A11205850003", "digits"),
        ("9971011205850003", "region"),
        ("3671013213850003", "birth_date"),
    ],
)
async def test_bad_nik_is_refused_naming_the_rule(
    gql: GraphQLClient, value: str, rule: str
) -> None:
    body = await gql.post("query($n: NIK!) { citizen(nik: $n) { nik } }", n=value)
    assert body.get("data") is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["rule"] == rule


async def test_citizens_keeps_order_and_answers_null_where_unknown(
    gql: GraphQLClient, seed_report: SeedReport
) -> None:
    assert seed_report.city is not None
    people = seed_report.city.people
    unknown = "3671010101990001"  # valid, but nobody in the test city
    assert unknown not in {p.nik for p in people}
    niks = [people[5].nik, unknown, people[1].nik, people[5].nik]
    body = await gql.post("query($n: [NIK!]!) { citizens(niks: $n) { nik } }", n=niks)
    assert body["data"]["citizens"] == [
        {"nik": people[5].nik},
        None,
        {"nik": people[1].nik},
        {"nik": people[5].nik},
    ]


async def test_citizens_past_the_cap_is_a_limit_error(
    gql: GraphQLClient, seed_report: SeedReport
) -> None:
    assert seed_report.city is not None
    niks = [p.nik for p in seed_report.city.people[:101]]
    body = await gql.post("query($n: [NIK!]!) { citizens(niks: $n) { nik } }", n=niks)
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "LIMIT_EXCEEDED",
        "limit": "batch_size",
        "maximum": 100,
        "value": 100,
        "figure": 101,
    }
    assert "101" in error["message"]


async def test_family_card_number_is_validated(gql: GraphQLClient) -> None:
    body = await gql.post('{ family(familyCardNumber: "12-34") { familyCardNumber } }')
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "16 digits" in error["message"]


async def test_catalogues_and_sources(gql: GraphQLClient) -> None:
    body = await gql.post(
        "{ serviceCentres { code services { name ticketPrefix } }"
        "  districtServiceTypes { code name processingDays requirements }"
        "  sources { system reachable circuit } }"
    )
    assert "errors" not in body
    data = body["data"]
    assert data["serviceCentres"] and all(c["services"] for c in data["serviceCentres"])
    assert any("TIDAK MAMPU" in t["name"] for t in data["districtServiceTypes"])  # SKTM
    assert [s["system"] for s in data["sources"]] == [
        "SIAK", "PSB", "CPNS", "SIKDA", "SIPBD", "LPSE", "APK", "ANTRIAN"
    ]  # fmt: skip
    assert all(s["reachable"] and s["circuit"] == "CLOSED" for s in data["sources"])


async def test_get_serves_queries_and_a_browser_gets_graphiql(hub_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(hub_url + "/graphql", params={"query": "{ __typename }"}) as r:
            assert r.status == 200
            assert (await r.json())["data"] == {"__typename": "Query"}
            assert r.headers["X-Request-Id"]
        async with session.get(hub_url + "/graphql", headers={"Accept": "text/html"}) as r:
            assert r.status == 200
            assert "graphiql" in (await r.text()).lower()
        async with session.get(hub_url + "/healthz") as r:
            assert r.status == 200 and await r.json() == {"status": "ok"}
        async with session.get(hub_url + "/readyz") as r:
            ready = await r.json()
            assert r.status == 200 and ready["status"] == "ready", ready
            assert all(s["reachable"] for s in ready["sources"].values())
            assert ready["hub"]["reachable"] and ready["audit"]["reachable"]


async def test_depth_limit(gql: GraphQLClient, seed_report: SeedReport) -> None:
    assert seed_report.city is not None
    deep = "nik"
    for _ in range(6):
        deep = f"family {{ members {{ citizen {{ {deep} }} }} }}"
    body = await gql.post(f'{{ citizen(nik: "{seed_report.city.people[0].nik}") {{ {deep} }} }}')
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "LIMIT_EXCEEDED",
        "limit": "depth",
        "maximum": 10,
        "value": 10,
        "figure": 20,
    }
    assert "depth (20, fragments expanded) exceeds the limit of 10" in error["message"]
    assert body["data"] is None


class BrokenSource(SourceDB):
    """A connector bug (not a database failure): its message quotes a NIK."""

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        raise RuntimeError(f"bug while reading {args[0][0] if args else ''} with {sql[:20]}")


async def test_unexpected_errors_are_masked_and_logged_without_personal_data(
    city_dsns: dict[Source | str, str],
    seed_report: SeedReport,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert seed_report.city is not None
    nik = seed_report.city.showcase[0].head.nik
    settings = city_settings(city_dsns)
    app = create_app(settings)
    async with TestServer(app, host="127.0.0.1") as server:
        psb = app[SOURCES][Source.PSB]
        app[SOURCES][Source.PSB] = BrokenSource(Source.PSB, psb.pool)
        headers = await grant(settings, name="qa-broken")
        caplog.set_level(logging.INFO)
        async with aiohttp.ClientSession() as session:
            client = GraphQLClient(session, str(server.make_url("")).rstrip("/"), headers)
            body = await client.post(
                "query($n: NIK!) { citizen(nik: $n) { fullName schoolAdmissions { level } } }",
                n=nik,
            )
    assert body["data"]["citizen"]["fullName"] == seed_report.city.showcase[0].head.name
    assert body["data"]["citizen"]["schoolAdmissions"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INTERNAL"
    assert error["path"] == ["citizen", "schoolAdmissions"]
    assert "bug while reading" not in error["message"]
    assert "SELECT" not in str(body)
    assert error["extensions"]["requestId"] in caplog.text
    assert nik not in caplog.text
    assert f"bug while reading {nik}" not in caplog.text  # the code line may show, not the value
