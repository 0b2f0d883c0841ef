"""``_entities``, the Federation gateway's way in, decided like ``citizens(niks:)``, over HTTP.

Its NIKs arrive inside untyped JSON representations; each one is counted in the NIK
cap, refused for an anonymous caller and for a citizen token naming a stranger,
masked per the caller's scopes, charged to its budget and written to the disclosure
log, exactly as the same NIK named in ``citizens(niks:)``. Malformed representations
get a BAD_USER_INPUT naming which one and what is wrong, never a 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from connectors.base import Source
from connectors.city import Family
from connectors.seeding import SeedReport
from hub.app import create_app
from hub.audit import DisclosureLog
from hub.settings import Settings
from schema import entities as entity_module
from schema.execution import policy
from schema.execution.trusted import DocumentRules
from tests.e2e.conftest import citizen_headers, city_settings, grant, logged_for
from tests.e2e.limits_support import limit_of, limited_hub
from tests.e2e.test_access import SCHOOL_SCOPES, ask, claims_of

ENTITIES = """
query($r: [_Any!]!) {
  _entities(representations: $r) { __typename ... on Citizen { SELECTION } }
}
"""
# A well-formed NIK of Kota Tangerang that the test city does not hold.
UNKNOWN_NIK = "3671010101909999"
NIK_PATTERN = re.compile(r"\b\d{16}\b")


def entities(selection: str) -> str:
    return ENTITIES.replace("SELECTION", selection)


def reps(*niks: str) -> list[dict[str, str]]:
    return [{"__typename": "Citizen", "nik": n} for n in niks]


@pytest.fixture(scope="module")
async def callers(
    hub_url: str, hub_settings: Settings, family: Family
) -> dict[str, dict[str, str]]:
    return {
        "partner": await grant(hub_settings, name="qa-entities"),
        "school": await grant(hub_settings, SCHOOL_SCOPES, name="sd-entities", purpose="ppdb"),
        "citizen": await citizen_headers(hub_settings, family.head.nik),
    }


async def test_a_partner_gets_each_citizen_in_order_and_each_is_on_the_log(
    hub_url: str, hub_settings: Settings, callers: dict[str, dict[str, str]], family: Family
) -> None:
    spouse = next(m for m in family.members if m.nik != family.head.nik)
    status, body, headers = await ask(
        hub_url,
        callers["partner"],
        entities("nik fullName"),
        r=reps(family.head.nik, UNKNOWN_NIK, spouse.nik),
    )
    assert status == 200 and "errors" not in body, body
    head, unknown, other = body["data"]["_entities"]
    assert head == {"__typename": "Citizen", "nik": family.head.nik, "fullName": family.head.name}
    assert unknown is None  # SIAK does not know it: null, as citizens(niks:) answers
    assert other["fullName"] == spouse.name
    logged = await logged_for(hub_settings, headers["X-Request-Id"], [family.head.nik, spouse.nik])
    assert logged == {family.head.nik, spouse.nik}


async def test_the_log_names_the_caller_and_its_purpose(
    hub_url: str, hub_settings: Settings, callers: dict[str, dict[str, str]], family: Family
) -> None:
    _, body, headers = await ask(
        hub_url, callers["school"], entities("fullName"), r=reps(family.head.nik)
    )
    assert body["data"]["_entities"][0]["fullName"] == family.head.name
    pool = await asyncpg.create_pool(hub_settings.hub_dsn, min_size=1, max_size=1)
    try:
        log = await DisclosureLog(pool).access_log([family.head.nik], 50)
    finally:
        await pool.close()
    [row] = [e for e in log[family.head.nik] if e.request_id == headers["X-Request-Id"]]
    assert row.client_id == claims_of(callers["school"])["client_id"]
    assert row.purpose == "ppdb" and "fullName" in row.fields


@pytest.mark.parametrize(
    "query",
    [
        entities("fullName religion"),
        entities("fullName faith: religion"),
        entities("fullName ... on Citizen { maritalStatus }"),
        "query($r: [_Any!]!) { _entities(representations: $r) { ...F } }"
        " fragment F on Citizen { fullName religion }",
    ],
)
async def test_a_field_outside_the_scopes_is_forbidden_however_it_is_selected(
    hub_url: str, callers: dict[str, dict[str, str]], family: Family, query: str
) -> None:
    _, body, _ = await ask(hub_url, callers["school"], query, r=reps(family.head.nik))
    [citizen] = body["data"]["_entities"]
    assert citizen["fullName"] == family.head.name
    assert body["errors"] and {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    assert body["errors"][0]["extensions"]["scope"] == "siak:sensitive"
    assert family.head.religion not in json.dumps(body["data"])


async def test_relatives_reached_from_an_entity_are_masked_for_a_partner_who_named_one(
    hub_url: str, callers: dict[str, dict[str, str]], family: Family
) -> None:
    _, body, _ = await ask(
        hub_url,
        callers["school"],
        entities("nik family { members { citizen { nik } } }"),
        r=reps(family.head.nik),
    )
    [citizen] = body["data"]["_entities"]
    assert citizen["nik"] == family.head.nik  # named by the caller: shown
    members = [m["citizen"]["nik"] for m in citizen["family"]["members"]]
    others = [n for n in members if n != family.head.nik]
    assert others and all("********" in n for n in others)  # reached, not named: masked
    # The partner allowed to resolve identities sees them whole.
    _, body, _ = await ask(
        hub_url,
        callers["partner"],
        entities("family { members { citizen { nik } } }"),
        r=reps(family.head.nik),
    )
    shown = {m["citizen"]["nik"] for m in body["data"]["_entities"][0]["family"]["members"]}
    assert shown == {m.nik for m in family.members}


async def test_an_anonymous_caller_gets_401_and_no_citizen(hub_url: str, family: Family) -> None:
    status, body, headers = await ask(hub_url, {}, entities("fullName"), r=reps(family.head.nik))
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert family.head.name not in json.dumps(body)


async def test_a_citizen_token_reads_itself_but_never_a_stranger(
    hub_url: str, callers: dict[str, dict[str, str]], family: Family, other_family: Family
) -> None:
    citizen = callers["citizen"]
    _, body, _ = await ask(hub_url, citizen, entities("fullName"), r=reps(family.head.nik))
    assert body["data"]["_entities"] == [{"__typename": "Citizen", "fullName": family.head.name}]
    for named in (reps(other_family.head.nik), reps(family.head.nik, other_family.head.nik)):
        _, body, _ = await ask(hub_url, citizen, entities("nik fullName religion"), r=named)
        assert body["data"] is None
        [error] = body["errors"]
        assert error["extensions"] == {"code": "FORBIDDEN", "reason": "not_own_data"}
        text = json.dumps(body)
        assert other_family.head.nik not in text and other_family.head.name not in text


async def test_a_citizen_token_sees_its_childs_admissions_and_nothing_else(
    hub_url: str, callers: dict[str, dict[str, str]], family: Family
) -> None:
    child = next(m for m in family.members if m.age() < 13)
    _, body, _ = await ask(
        hub_url,
        callers["citizen"],
        entities("fullName schoolAdmissions { level } religion"),
        r=reps(child.nik),
    )
    [entity] = body["data"]["_entities"]
    assert entity["fullName"] == child.name and entity["schoolAdmissions"]
    assert entity["religion"] is None
    assert [(e["path"][-1], e["extensions"]["code"]) for e in body["errors"]] == [
        ("religion", "FORBIDDEN")
    ]


@pytest.fixture(scope="module")
async def small_hub(city_dsns: dict[Source | str, str]) -> AsyncIterator[tuple[str, Settings]]:
    """A cap of 10 NIKs per operation and a budget of 6 distinct NIKs an hour."""
    settings = city_settings(city_dsns, max_citizens=10, distinct_niks_per_hour=6)
    async with TestServer(create_app(settings), host="127.0.0.1") as server:
        yield str(server.make_url("")).rstrip("/"), settings


async def test_representations_count_in_the_nik_cap_with_citizens(
    small_hub: tuple[str, Settings], seed_report: SeedReport
) -> None:
    url, settings = small_hub
    assert seed_report.city is not None
    niks = [p.nik for p in seed_report.city.people[:11]]
    partner = await grant(settings, name="qa-entities-cap")
    mixed = """
    query($n: [NIK!]!, $r: [_Any!]!) {
      citizens(niks: $n) { nik }
      _entities(representations: $r) { ... on Citizen { nik } }
    }
    """
    for query, variables in (
        (entities("nik"), {"r": reps(*niks)}),
        (mixed, {"n": niks[:6], "r": reps(*niks[6:])}),  # 6 + 5: counted together
        (entities("nik"), {"r": reps(niks[0]) * 11}),  # every repetition counts
    ):
        status, body, _ = await ask(url, partner, query, **variables)
        assert status == 200 and body["data"] is None
        [error] = body["errors"]
        assert error["extensions"]["limit"] == "batch_size", error
        assert "names 11" in error["message"]


async def test_every_entity_is_charged_to_the_budget(
    small_hub: tuple[str, Settings], seed_report: SeedReport
) -> None:
    url, settings = small_hub  # six distinct NIKs an hour
    assert seed_report.city is not None
    people = [p.nik for p in seed_report.city.people[100:107]]
    partner = await grant(settings, name="qa-entities-budget")
    _, body, _ = await ask(url, partner, entities("nik"), r=reps(*people[:6]))
    assert [c["nik"] for c in body["data"]["_entities"]] == people[:6]
    # A seventh distinct NIK, named as an entity or as a citizen, is past the budget.
    for query, variables in (
        (entities("nik"), {"r": reps(people[6])}),
        ("query($n: NIK!) { citizen(nik: $n) { nik } }", {"n": people[6]}),
    ):
        _, body, _ = await ask(url, partner, query, **variables)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["limit"] == "subject_budget"


MALFORMED: list[tuple[str, Any, str, str]] = [
    ("no nik", [{"__typename": "Citizen"}], "entity_key", "representations[0] has no nik"),
    (
        "a NIK that breaks a rule",
        [{"__typename": "Citizen", "nik": "3671010101900000"}],
        "serial",
        "representations[0].nik: invalid NIK",
    ),
    (
        "a NIK that is a number",
        [{"__typename": "Citizen", "nik": 3671010101900001}],
        "type",
        "representations[0].nik: NIK must be a string",
    ),
    (
        "another type",
        [{"__typename": "Citizen", "nik": "NIK"}, {"__typename": "Family", "nik": "NIK"}],
        "entity_type",
        'representations[1].__typename must be "Citizen"',
    ),
    ("no type", [{"nik": "NIK"}], "entity_type", "representations[0].__typename"),
    ("not an object", ["NIK"], "entity_representation", "representations[0] must be an object"),
]


@pytest.mark.parametrize(
    ("given", "rule", "message"),
    [m[1:] for m in MALFORMED],
    ids=[m[0] for m in MALFORMED],
)
async def test_a_malformed_representation_gets_a_clear_error_and_no_data(
    hub_url: str,
    callers: dict[str, dict[str, str]],
    family: Family,
    given: list[Any],
    rule: str,
    message: str,
) -> None:
    given = json.loads(json.dumps(given).replace('"NIK"', f'"{family.head.nik}"'))
    status, body, _ = await ask(hub_url, callers["partner"], entities("fullName"), r=given)
    assert status == 200 and body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["rule"] == rule
    assert error["message"].startswith(message), error["message"]
    assert not NIK_PATTERN.search(error["message"])  # what was given is never echoed


async def test_a_huge_list_of_representations_is_refused_by_the_cap(
    hub_url: str, callers: dict[str, dict[str, str]], seed_report: SeedReport
) -> None:
    assert seed_report.city is not None
    huge = reps(*(p.nik for p in seed_report.city.people[:1000]))
    status, body, _ = await ask(hub_url, callers["partner"], entities("nik"), r=huge)
    assert status == 200 and body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert error["extensions"]["limit"] == "batch_size" and "names 1000" in error["message"]
    # Past the size of a request's variables it is refused before it is even read.
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            hub_url + "/graphql",
            json={"query": entities("nik"), "variables": {"r": huge * 4}},
            headers=callers["partner"],
        ) as response,
    ):
        assert response.status == 413
        assert "limit" in await response.text()


async def test_the_subgraph_sdl_is_public_and_declares_the_key(hub_url: str) -> None:
    status, body, _ = await ask(hub_url, {}, "{ _service { sdl } }")
    assert status == 200, body
    sdl = body["data"]["_service"]["sdl"]
    assert 'type Citizen @key(fields: "nik")' in sdl
    assert "https://specs.apollo.dev/federation/v2" in sdl
    assert "union _Entity = Citizen" in sdl


async def test_the_sdl_is_switched_off_with_introspection(
    city_dsns: dict[Source | str, str],
) -> None:
    async with limited_hub(city_dsns, graphql=DocumentRules(introspection=False)) as hub:
        body = await hub.ask("{ _service { sdl } }")
        assert limit_of(body) == {"code": "FORBIDDEN", "reason": "introspection_disabled"}
        assert "_service" in body["errors"][0]["message"]


async def test_a_partners_representations_are_read_once_per_operation(
    hub_url: str,
    callers: dict[str, dict[str, str]],
    family: Family,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[int] = []
    original = entity_module.entity_niks

    def counted(representations: Any) -> list[str]:
        reads.append(len(representations))
        return original(representations)

    monkeypatch.setattr(entity_module, "entity_niks", counted)
    monkeypatch.setattr(policy, "entity_niks", counted)
    status, body, _ = await ask(
        hub_url, callers["partner"], entities("nik"), r=reps(family.head.nik, UNKNOWN_NIK)
    )
    assert status == 200 and "errors" not in body, body
    assert [e and e["nik"] for e in body["data"]["_entities"]] == [family.head.nik, None]
    # Read by the access decision, which hands the NIKs to the resolver.
    assert reads == [2]
