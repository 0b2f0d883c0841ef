"""Who sees what, over real HTTP: a matrix of token kinds × fields, and the bypass attempts.

The showcase family of the test city: a civil-servant father (the head), his
wife, and their children. A school partner (PPDB purpose) may read profiles,
family cards and school admissions; a citizen token belongs to the father.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict

from connectors.base import Source
from connectors.city import Family
from connectors.seeding import SeedReport
from hub.app import HUB_POOL, create_app
from hub.audit import DisclosureLog
from hub.auth import issue_client_token
from hub.auth.clients import revoke_client
from hub.keys import AUDIT_SINK
from hub.settings import Settings
from tests.e2e.conftest import citizen_headers, city_settings, grant

SCHOOL_SCOPES = frozenset({"siak:profile", "siak:family", "psb:read"})
MATRIX = """
query($n: NIK!) {
  citizen(nik: $n) {
    nik fullName religion
    schoolAdmissions { level }
    employment { nip }
    identifiers { kind }
    accessLog { clientId }
  }
}
"""
FIELDS = ("fullName", "religion", "schoolAdmissions", "employment", "identifiers", "accessLog")


@pytest.fixture(scope="module")
async def tokens(hub_url: str, hub_settings: Settings, family: Family) -> dict[str, dict[str, str]]:
    """Request headers per kind of caller."""
    return {
        "partner": await grant(hub_settings, name="qa-matrix"),
        "school": await grant(hub_settings, SCHOOL_SCOPES, name="sd-negeri-1", purpose="ppdb"),
        "citizen": await citizen_headers(hub_settings, family.head.nik),
        "anonymous": {},
    }


async def ask(
    hub_url: str, headers: dict[str, str], query: str, **variables: Any
) -> tuple[int, dict[str, Any], CIMultiDict[str]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            hub_url + "/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
        ) as r,
    ):
        return r.status, await r.json(), CIMultiDict(r.headers)


def refused(body: dict[str, Any]) -> dict[str, str]:
    """Field name -> the error code that refused it."""
    return {
        str(e["path"][-1]): e["extensions"]["code"] for e in body.get("errors", []) if "path" in e
    }


# What each caller gets of the father's own record: "value" or the error code.
EXPECTED = {
    "partner": dict.fromkeys(FIELDS, "value"),
    "school": {
        "fullName": "value",
        "religion": "FORBIDDEN",
        "schoolAdmissions": "value",
        "employment": "FORBIDDEN",
        "identifiers": "FORBIDDEN",
        "accessLog": "FORBIDDEN",
    },
    "citizen": {**dict.fromkeys(FIELDS, "value"), "identifiers": "FORBIDDEN"},
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
async def test_matrix_of_token_kinds_and_fields(
    hub_url: str, tokens: dict[str, dict[str, str]], family: Family, kind: str
) -> None:
    status, body, _ = await ask(hub_url, tokens[kind], MATRIX, n=family.head.nik)
    assert status == 200
    citizen = body["data"]["citizen"]
    assert citizen["nik"] == family.head.nik  # the NIK the caller named is never masked
    errors = refused(body)
    got = {f: errors.get(f, "value" if citizen[f] is not None else "null") for f in FIELDS}
    assert got == EXPECTED[kind]
    for e in body.get("errors", []):
        if e["path"][-1] in ("religion", "employment", "identifiers", "accessLog"):
            assert e["extensions"].get("scope") or e["extensions"].get("reason")
    if kind == "school":
        assert family.head.religion not in json.dumps(body)


async def test_anonymous_gets_401_for_citizen_data_but_may_read_the_catalogue(
    hub_url: str, family: Family
) -> None:
    status, body, headers = await ask(hub_url, {}, MATRIX, n=family.head.nik)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith('Bearer realm="citizen-hub"')
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    status, body, _ = await ask(hub_url, {}, "{ serviceCentres { name } __typename }")
    assert status == 200 and body["data"]["serviceCentres"]


@pytest.mark.parametrize(
    "query",
    [
        "query($n: NIK!) { citizen(nik: $n) { faith: religion } }",
        "query($n: NIK!) { citizen(nik: $n) { ...F } } fragment F on Citizen { religion }",
        "query($n: NIK!) { citizen(nik: $n) { ... on Citizen { ... { x: religion } } } }",
        "query($n: NIK!, $t: Boolean = true) { citizen(nik: $n) { religion @include(if: $t) } }",
        "query($n: NIK!) { a: citizens(niks: [$n]) { maritalStatus } }",
    ],
)
async def test_aliases_fragments_and_directives_do_not_reach_a_forbidden_field(
    hub_url: str, tokens: dict[str, dict[str, str]], family: Family, query: str
) -> None:
    status, body, _ = await ask(hub_url, tokens["school"], query, n=family.head.nik)
    assert status == 200
    assert body["errors"] and all(e["extensions"]["code"] == "FORBIDDEN" for e in body["errors"])
    text = json.dumps(body["data"])
    assert family.head.religion not in text and "MARRIED" not in text


async def test_a_citizen_token_cannot_reach_another_family(
    hub_url: str, tokens: dict[str, dict[str, str]], family: Family, other_family: Family
) -> None:
    headers = tokens["citizen"]
    stranger = other_family.head.nik
    _, body, _ = await ask(
        hub_url, headers, "query($n: NIK!) { citizen(nik: $n) { fullName } }", n=stranger
    )
    assert body["data"]["citizen"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    _, body, _ = await ask(
        hub_url,
        headers,
        "query($n: [NIK!]!) { citizens(niks: $n) { fullName } }",
        n=[family.head.nik, stranger],
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    _, body, _ = await ask(
        hub_url,
        headers,
        "query($k: String!) { family(familyCardNumber: $k) { members { citizen { nik } } } }",
        k=other_family.kk,
    )
    assert body["data"]["family"] is None
    assert other_family.head.name not in json.dumps(body)
    _, body, _ = await ask(
        hub_url,
        headers,
        "query($p: String!) { resolveIdentity(system: ANTRIAN, identifier: $p) { value } }",
        p=other_family.head.phone,
    )
    assert body["data"]["resolveIdentity"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_citizen_token_walks_its_own_card_seeing_its_childrens_admissions_only(
    hub_url: str, tokens: dict[str, dict[str, str]], family: Family
) -> None:
    query = """
    query($k: String!) {
      family(familyCardNumber: $k) {
        members { relationship citizen { nik fullName religion schoolAdmissions { level } } }
      }
    }
    """
    _, body, _ = await ask(hub_url, tokens["citizen"], query, k=family.kk)
    members = body["data"]["family"]["members"]
    by_relationship: dict[str, list[dict[str, Any]]] = {}
    for m in members:
        by_relationship.setdefault(m["relationship"], []).append(m["citizen"])
    [me] = by_relationship["HEAD"]
    assert me["nik"] == family.head.nik and me["religion"] == family.head.religion
    [wife] = by_relationship["WIFE"]
    assert wife["fullName"] and wife["religion"] is None and wife["schoolAdmissions"] is None
    assert wife["nik"].startswith("3671") and "********" in wife["nik"]
    children = by_relationship["CHILD"]
    assert any(c["schoolAdmissions"] for c in children)
    assert all(c["religion"] is None for c in children)
    forbidden = {tuple(e["path"][-2:]) for e in body["errors"]}
    assert all(code == "FORBIDDEN" for code in refused(body).values())
    assert any(path[-1] == "religion" for path in forbidden)


async def test_a_citizen_token_reads_its_childs_admissions_by_nik(
    hub_url: str, tokens: dict[str, dict[str, str]], family: Family
) -> None:
    child = next(m for m in family.members if m.age() < 13)
    _, body, _ = await ask(
        hub_url,
        tokens["citizen"],
        "query($n: NIK!) { citizen(nik: $n) { fullName schoolAdmissions { level } religion } }",
        n=child.nik,
    )
    citizen = body["data"]["citizen"]
    assert citizen["schoolAdmissions"] and citizen["fullName"] == child.name
    assert citizen["religion"] is None
    assert refused(body) == {"religion": "FORBIDDEN"}


def claims_of(headers: dict[str, str]) -> dict[str, Any]:
    payload = headers["Authorization"].split()[1].split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


async def test_purpose_must_be_declared_and_registered(
    hub_url: str, hub_settings: Settings, tokens: dict[str, dict[str, str]], family: Family
) -> None:
    query = "query($n: NIK!) { citizen(nik: $n) { fullName } }"
    client_id = claims_of(tokens["school"])["client_id"]
    pool = await asyncpg.create_pool(hub_settings.hub_dsn, min_size=1, max_size=1)
    try:  # a token issued without a purpose claim: the header is all there is
        bare = await issue_client_token(pool, hub_settings.auth, client_id)
    finally:
        await pool.close()
    authorization = {"Authorization": f"Bearer {bare.access_token}"}
    cases = [
        ({}, "purpose_missing"),
        ({"X-Purpose": "marketing"}, "purpose_unknown"),
        ({**tokens["school"], "X-Purpose": "marketing"}, "purpose_mismatch"),
    ]
    for extra, reason in cases:
        status, body, _ = await ask(hub_url, {**authorization, **extra}, query, n=family.head.nik)
        assert status == 403
        assert body["data"] is None
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "reason": reason}
    status, body, _ = await ask(
        hub_url, {**authorization, "X-Purpose": "ppdb"}, query, n=family.head.nik
    )
    assert status == 200 and body["data"]["citizen"]["fullName"] == family.head.name


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_bad_tokens_get_401_with_a_challenge(
    hub_url: str, hub_settings: Settings, tokens: dict[str, dict[str, str]], family: Family
) -> None:
    good = tokens["partner"]["Authorization"].split()[1]
    header, payload, signature = good.split(".")
    claims = claims_of(tokens["partner"])
    forged = ".".join([header, _b64({**claims, "scope": "siak:sensitive"}), signature])
    alg_none = ".".join([_b64({"alg": "none", "typ": "at+jwt"}), payload, ""])
    wrong_audience = ".".join([header, _b64({**claims, "aud": "someone-else"}), signature])
    pool = await asyncpg.create_pool(hub_settings.hub_dsn, min_size=1, max_size=1)
    try:
        client_id = claims["client_id"]
        expired = await issue_client_token(
            pool, hub_settings.auth, client_id, purpose="qa-all", now=time.time() - 7200
        )
    finally:
        await pool.close()
    for token in (forged, alg_none, wrong_audience, expired.access_token, "not-a-jwt"):
        status, body, headers = await ask(
            hub_url,
            {"Authorization": f"Bearer {token}", "X-Purpose": "qa-all"},
            MATRIX,
            n=family.head.nik,
        )
        assert status in (400, 401), token
        assert headers["WWW-Authenticate"].startswith("Bearer realm=")
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_every_citizen_in_an_answer_is_on_the_disclosure_log(
    hub_url: str, hub_settings: Settings, tokens: dict[str, dict[str, str]], family: Family
) -> None:
    query = """
    query($k: String!) {
      family(familyCardNumber: $k) {
        members { citizen { nik fullName schoolAdmissions { level } } }
      }
    }
    """
    _, body, headers = await ask(hub_url, tokens["school"], query, k=family.kk)
    request_id = headers["X-Request-Id"]
    assert len(body["data"]["family"]["members"]) == len(family.members)
    pool = await asyncpg.create_pool(hub_settings.hub_dsn, min_size=1, max_size=1)
    try:
        log = await DisclosureLog(pool).access_log([m.nik for m in family.members], 50)
    finally:
        await pool.close()
    for member in family.members:
        rows = [e for e in log[member.nik] if e.request_id == request_id]
        assert len(rows) == 1, member.relationship
        assert rows[0].purpose == "ppdb"
        assert set(rows[0].fields) >= {"fullName", "schoolAdmissions"}
        assert "PSB" in rows[0].sources
    # The father reads who saw his data, with his own token.
    _, body, _ = await ask(
        hub_url,
        tokens["citizen"],
        "query($n: NIK!) { citizen(nik: $n) { accessLog(last: 50) { purpose requestId fields } } }",
        n=family.head.nik,
    )
    entries = body["data"]["citizen"]["accessLog"]
    assert any(e["requestId"] == request_id and e["purpose"] == "ppdb" for e in entries)


@pytest.fixture
async def own_hub(city_dsns: dict[Source | str, str]) -> AsyncIterator[tuple[Any, str, Settings]]:
    settings = city_settings(city_dsns, requests_per_minute=4, distinct_niks_per_hour=2)
    settings = replace(settings, auth=replace(settings.auth, revocation_cache_seconds=0.01))
    app = create_app(settings)
    async with TestServer(app, host="127.0.0.1") as server:
        yield app, str(server.make_url("")).rstrip("/"), settings


async def test_no_citizen_data_leaves_when_the_disclosure_log_cannot_be_written(
    own_hub: tuple[Any, str, Settings], family: Family
) -> None:
    app, url, settings = own_hub
    headers = await grant(settings, name="qa-audit-down")
    await app[AUDIT_SINK].log.pool.close()  # the log's database connection is gone
    _, body, _ = await ask(url, headers, MATRIX, n=family.head.nik)
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["AUDIT_UNAVAILABLE"]
    assert family.head.name not in json.dumps(body)


async def test_rate_and_distinct_nik_budget_per_client(
    own_hub: tuple[Any, str, Settings], seed_report: SeedReport
) -> None:
    _, url, settings = own_hub
    assert seed_report.city is not None
    people = seed_report.city.people
    query = "query($n: NIK!) { citizen(nik: $n) { fullName } }"
    budget = await grant(settings, name="qa-budget")
    for nik in (people[0].nik, people[1].nik, people[0].nik):
        _, body, _ = await ask(url, budget, query, n=nik)
        assert body["data"]["citizen"]["fullName"], body
    rate = await grant(settings, name="qa-rate")
    for _ in range(4):
        await ask(url, rate, query, n=people[0].nik)
    _, body, _ = await ask(url, rate, query, n=people[0].nik)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert error["extensions"]["limit"] == "rate" and error["extensions"]["retryAfter"] > 0
    # A third distinct NIK within the hour is past the budget of two.
    _, body, _ = await ask(url, budget, query, n=people[2].nik)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert body["errors"][0]["extensions"]["limit"] == "subject_budget"


async def test_a_revoked_clients_tokens_stop_working(
    own_hub: tuple[Any, str, Settings], family: Family
) -> None:
    app, url, settings = own_hub
    headers = await grant(settings, name="qa-revoked")
    status, _, _ = await ask(url, headers, MATRIX, n=family.head.nik)
    assert status == 200
    client_id = claims_of(headers)["client_id"]
    async with app[HUB_POOL].acquire() as conn:
        await revoke_client(conn, client_id)
    await asyncio.sleep(0.05)  # past the (test-sized) revocation cache
    status, body, headers_out = await ask(url, headers, MATRIX, n=family.head.nik)
    assert status == 401
    assert 'error="invalid_token"' in headers_out["WWW-Authenticate"]
    assert body["data"] is None


async def test_a_card_read_for_its_head_discloses_the_head_only(
    hub_url: str, hub_settings: Settings, tokens: dict[str, dict[str, str]], family: Family
) -> None:
    query = "query($k: String!) { family(familyCardNumber: $k) { head { fullName } } }"
    _, body, headers = await ask(hub_url, tokens["school"], query, k=family.kk)
    assert body["data"]["family"]["head"]["fullName"] == family.head.name
    pool = await asyncpg.create_pool(hub_settings.hub_dsn, min_size=1, max_size=1)
    try:
        log = await DisclosureLog(pool).access_log([m.nik for m in family.members], 50)
    finally:
        await pool.close()
    shown = {
        nik
        for nik, entries in log.items()
        for e in entries
        if e.request_id == headers["X-Request-Id"]
    }
    assert shown == {family.head.nik}


async def test_an_oversized_batch_is_refused_before_it_costs_budget(
    own_hub: tuple[Any, str, Settings], seed_report: SeedReport
) -> None:
    _, url, settings = own_hub  # budget: two distinct NIKs an hour
    assert seed_report.city is not None
    people = seed_report.city.people
    headers = await grant(settings, name="qa-oversized")
    _, body, _ = await ask(
        url,
        headers,
        "query($n: [NIK!]!) { citizens(niks: $n) { nik } }",
        n=[p.nik for p in people[:101]],
    )
    assert body["errors"][0]["extensions"]["limit"] == "batch_size"
    # Nothing was charged: two new NIKs still fit the budget.
    _, body, _ = await ask(
        url,
        headers,
        "query($n: [NIK!]!) { citizens(niks: $n) { nik } }",
        n=[people[200].nik, people[201].nik],
    )
    assert "errors" not in body, body["errors"]
