"""The adversarial review's attacks, and variants of each, sent over real HTTP.

Each test names a class of weakness: the access decision is made on the values
execution will use; the loading layer builds no citizen the decision did not
admit; every NIK or family relation that leaves is logged and charged; work per
request is bounded before anything expensive runs; masked values stay masked.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from connectors.base import Source
from connectors.city import Family
from connectors.seeding import SeedReport
from hub.app import SOURCES, create_app
from hub.keys import AUDIT_SINK
from hub.settings import Settings
from tests.e2e.conftest import citizen_headers, city_settings, grant, logged_entries, logged_for
from tests.e2e.test_access import ask

PROFILE = "nik fullName religion birthDate address { street } family { familyCardNumber }"
NIK_PATTERN = re.compile(r"\b\d{16}\b")


@pytest.fixture(scope="module")
async def citizen(hub_url: str, hub_settings: Settings, family: Family) -> dict[str, str]:
    return await citizen_headers(hub_settings, family.head.nik)


# 1. Arguments are judged as executed, not as written.


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ('{ citizens(niks: "STRANGER") { PROFILE } }', {}),
        ('query($n: [NIK!]! = ["STRANGER"]) { citizens(niks: $n) { PROFILE } }', {}),
        ('query($n: NIK! = "STRANGER") { citizen(nik: $n) { PROFILE } }', {}),
        ("query($n: [NIK!]!) { citizens(niks: $n) { PROFILE } }", {"n": "STRANGER"}),
        ('{ a: citizens(niks: "OWN") { nik } b: citizens(niks: "STRANGER") { PROFILE } }', {}),
        ('{ ...Q } fragment Q on Query { citizens(niks: "STRANGER") { PROFILE } }', {}),
        ('query($y: Boolean = true) { citizens(niks: "STRANGER") @include(if: $y) { nik } }', {}),
    ],
)
async def test_a_citizen_token_never_reads_a_stranger_however_the_nik_is_written(
    hub_url: str,
    citizen: dict[str, str],
    family: Family,
    other_family: Family,
    query: str,
    variables: dict[str, Any],
) -> None:
    query = query.replace("STRANGER", other_family.head.nik).replace("OWN", family.head.nik)
    query = query.replace("PROFILE", PROFILE)
    variables = {k: v.replace("STRANGER", other_family.head.nik) for k, v in variables.items()}
    _, body, _ = await ask(hub_url, citizen, query, **variables)
    text = str(body)
    assert other_family.head.nik not in text and other_family.head.name not in text
    assert "FORBIDDEN" in text


async def test_many_aliases_of_a_strangers_nik_return_no_stranger(
    hub_url: str, citizen: dict[str, str], other_family: Family
) -> None:
    for count, selection, limit in (
        (20, PROFILE, None),
        (380, "nik", "root_fields"),
        (380, PROFILE, "tokens"),
    ):
        aliases = " ".join(
            f'a{i}: citizens(niks: "{other_family.head.nik}") {{ {selection} }}'
            for i in range(count)
        )
        _, body, _ = await ask(hub_url, citizen, f"{{ {aliases} }}")
        assert other_family.head.name not in str(body) and other_family.head.nik not in str(body)
        codes = {e["extensions"]["code"] for e in body["errors"]}
        limits = {e["extensions"].get("limit") for e in body["errors"]}
        assert (codes, limits) == (
            ({"FORBIDDEN"}, {None}) if limit is None else ({"LIMIT_EXCEEDED"}, {limit})
        )


@pytest.fixture
async def small_hub(city_dsns: dict[Source | str, str]) -> AsyncIterator[tuple[Any, str, Settings]]:
    """A hub with a cap of 10 NIKs per operation and a budget of 6 distinct NIKs an hour."""
    settings = city_settings(city_dsns, max_citizens=10, distinct_niks_per_hour=6)
    app = create_app(settings)
    async with TestServer(app, host="127.0.0.1") as server:
        yield app, str(server.make_url("")).rstrip("/"), settings


async def test_the_nik_cap_counts_every_alias_default_and_coerced_string(
    small_hub: tuple[Any, str, Settings], seed_report: SeedReport
) -> None:
    _, url, settings = small_hub
    assert seed_report.city is not None
    niks = [p.nik for p in seed_report.city.people[:11]]
    partner = await grant(settings, name="qa-cap")
    aliased = " ".join(f'a{i}: citizens(niks: "{n}") {{ nik }}' for i, n in enumerate(niks))
    defaulted = f"query($n: [NIK!]! = {str(niks).replace(chr(39), chr(34))}) "
    defaulted += "{ citizens(niks: $n) { nik } }"
    for query in (f"{{ {aliased} }}", defaulted):
        _, body, _ = await ask(url, partner, query)
        assert body["data"] is None
        [error] = body["errors"]
        assert error["extensions"]["limit"] == "batch_size", error
        assert "names 11" in error["message"]


async def test_the_budget_counts_every_citizen_the_answer_holds_and_nothing_refused(
    small_hub: tuple[Any, str, Settings], seed_report: SeedReport, family: Family
) -> None:
    _, url, settings = small_hub  # six distinct NIKs an hour
    assert seed_report.city is not None
    partner = await grant(settings, name="qa-indirect")
    card = "query($k: String!) { family(familyCardNumber: $k) { members { citizen { nik } } } }"
    _, body, _ = await ask(url, partner, card, k=family.kk)
    assert len(body["data"]["family"]["members"]) == len(family.members)
    # The card's members were charged: reaching others through cards soon hits the budget.
    others = [f for f in seed_report.city.families if len(f.members) >= 3][:4]
    aliases = " ".join(
        f'f{i}: family(familyCardNumber: "{f.kk}") {{ members {{ relationship }} }}'
        for i, f in enumerate(others)
    )
    _, body, _ = await ask(url, partner, f"{{ {aliases} }}")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["limit"] == "subject_budget"


async def test_refused_requests_cost_a_citizen_nothing_and_citizens_do_not_share_limits(
    small_hub: tuple[Any, str, Settings], family: Family, other_family: Family
) -> None:
    _, url, settings = small_hub
    mine = await citizen_headers(settings, family.head.nik)
    theirs = await citizen_headers(settings, other_family.head.nik)
    strangers = " ".join(
        f'a{i}: citizen(nik: "{m.nik}") {{ nik }}' for i, m in enumerate(other_family.members)
    )
    for _ in range(3):  # refused: nothing disclosed, nothing charged
        _, body, _ = await ask(url, mine, f"{{ {strangers} }}")
        assert all(v is None for v in body["data"].values())
    _, body, _ = await ask(url, mine, "{ me { nik family { members { citizen { nik } } } } }")
    assert body["data"]["me"]["nik"] == family.head.nik, body
    _, body, _ = await ask(url, theirs, "{ me { nik } }")
    assert body["data"]["me"]["nik"] == other_family.head.nik, body


# 2. Work per request is bounded, and counted before anything costly runs.


def fan_out(levels: int) -> str:
    fragments = [
        f"fragment F{i} on Citizen {{ nik ...F{i + 1} ...F{i + 1} }}" for i in range(1, levels)
    ]
    fragments.append(f"fragment F{levels} on Citizen {{ nik }}")
    return '{ citizen(nik: "3671010101010001") { ...F1 } }\n' + "\n".join(fragments)


async def test_an_anonymous_fragment_fan_out_is_refused_and_the_server_stays_responsive(
    hub_url: str,
) -> None:
    attacks = [ask(hub_url, {}, fan_out(levels)) for levels in (20, 40, 60) for _ in range(3)]
    health = ask(hub_url, {}, "{ __typename }")
    results = await asyncio.gather(*attacks, health)
    for _, body, _ in results[:-1]:
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
        assert body["errors"][0]["extensions"]["limit"] == "fields"
        assert "fragments expanded" in body["errors"][0]["message"]
    assert results[-1][1]["data"] == {"__typename": "Query"}


async def test_public_fields_under_many_aliases_are_limited_and_ping_each_source_once(
    hub_url: str, city_dsns: dict[Source | str, str]
) -> None:
    many = " ".join(f"s{i}: sources {{ reachable }}" for i in range(450))
    _, body, _ = await ask(hub_url, {}, f"{{ {many} }}")
    assert body["errors"][0]["extensions"]["limit"] == "root_fields"
    settings = city_settings(city_dsns)
    app = create_app(settings)
    async with TestServer(app, host="127.0.0.1") as server:
        url = str(server.make_url("")).rstrip("/")
        pings = {s: 0 for s in Source}
        for source in Source:
            db = app[SOURCES][source]
            original = db.ping

            async def counted(source: Source = source, original: Any = original) -> None:
                pings[source] += 1
                await original()

            db.ping = counted  # type: ignore[method-assign]
        few = " ".join(f"s{i}: sources {{ reachable }}" for i in range(20))
        results = await asyncio.gather(*(ask(url, {}, f"{{ {few} }}") for _ in range(10)))
        assert all(len(body["data"]) == 20 for _, body, _ in results)
        assert set(pings.values()) == {1}  # 200 asks of each source, one ping each


# 4./5. Identity resolution and family composition are disclosures.


async def test_resolving_a_family_card_is_logged_and_needs_the_family_scope(
    hub_url: str, hub_settings: Settings, family: Family
) -> None:
    query = (
        "query($k: String!) { resolveIdentity(system: SIAK, identifier: $k)"
        " { candidates { nik } } }"
    )
    resolver = await grant(hub_settings, frozenset({"identity:resolve"}), name="qa-resolver")
    _, body, _ = await ask(hub_url, resolver, query, k=family.kk)
    assert body["data"]["resolveIdentity"] is None
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "siak:family"}
    _, body, _ = await ask(hub_url, resolver, query.replace("SIAK", "PSB"), k=family.kk)
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "scope": "siak:family"}
    both = await grant(
        hub_settings, frozenset({"identity:resolve", "siak:family"}), name="qa-resolver-2"
    )
    _, body, headers = await ask(hub_url, both, query, k=family.kk)
    candidates = {c["nik"] for c in body["data"]["resolveIdentity"]["candidates"]}
    assert candidates == {m.nik for m in family.members}
    members = [m.nik for m in family.members]
    assert await logged_for(hub_settings, headers["X-Request-Id"], members) == set(members)


async def test_family_relationships_alone_are_logged(
    hub_url: str, hub_settings: Settings, family: Family
) -> None:
    partner = await grant(hub_settings, frozenset({"siak:family"}), name="qa-relations")
    query = "query($k: String!) { family(familyCardNumber: $k) { members { relationship } } }"
    _, body, headers = await ask(hub_url, partner, query, k=family.kk)
    assert len(body["data"]["family"]["members"]) == len(family.members)
    members = [m.nik for m in family.members]
    assert await logged_for(hub_settings, headers["X-Request-Id"], members) == set(members)


async def test_identity_resolution_answers_nothing_while_the_log_is_down(
    city_dsns: dict[Source | str, str], family: Family
) -> None:
    settings = city_settings(city_dsns)
    app = create_app(settings)
    async with TestServer(app, host="127.0.0.1") as server:
        url = str(server.make_url("")).rstrip("/")
        headers = await grant(settings, name="qa-resolve-down")
        await app[AUDIT_SINK].log.pool.close()
        for query in (
            f'{{ resolveIdentity(system: SIAK, identifier: "{family.kk}")'
            " { candidates { nik } } }",
            f'{{ family(familyCardNumber: "{family.kk}") {{ members {{ relationship }} }} }}',
        ):
            _, body, _ = await ask(url, headers, query)
            assert body["data"] is None
            assert [e["extensions"]["code"] for e in body["errors"]] == ["AUDIT_UNAVAILABLE"]


# 7. A masked NIK cannot be rebuilt from what the same answer shows.


async def test_a_masked_nik_keeps_nothing_but_the_city_and_an_npwp_that_is_a_nik_is_masked(
    hub_url: str, hub_settings: Settings, family: Family
) -> None:
    scopes = frozenset({"siak:profile", "siak:family", "lpse:read"})
    partner = await grant(hub_settings, scopes, name="qa-masking")
    query = """query($k: String!) { family(familyCardNumber: $k) { members { citizen {
        nik birthDate sex address { kecamatanCode } procurementRoles { vendor { npwp } }
    } } } }"""
    _, body, _ = await ask(hub_url, partner, query, k=family.kk)
    text = str(body)
    for member in family.members:
        assert member.nik not in text
        assert member.nik[4:] not in text and member.nik[-4:] + "'" not in text
    masked = {m["citizen"]["nik"] for m in body["data"]["family"]["members"]}
    assert masked == {family.kk[:4] + "*" * 12} or all(m.endswith("*" * 12) for m in masked)
    assert not NIK_PATTERN.search(text.replace(family.kk, ""))


# Anonymous callers are limited per address, before their documents are even read.


async def test_anonymous_callers_are_rate_limited_per_address_before_parsing(
    city_dsns: dict[Source | str, str], family: Family
) -> None:
    settings = city_settings(city_dsns, requests_per_minute=3)
    app = create_app(settings)
    async with TestServer(app, host="127.0.0.1") as server:
        url = str(server.make_url("")).rstrip("/")
        partner = await grant(settings, name="qa-anon-rate")
        for _ in range(3):
            _, body, _ = await ask(url, {}, "{ __typename }")
            assert body["data"] == {"__typename": "Query"}
        _, body, _ = await ask(url, {}, fan_out(60))  # not parsed: counted first
        assert body["errors"][0]["extensions"]["limit"] == "rate"
        _, body, _ = await ask(url, partner, "{ __typename }")  # its own allowance
        assert body["data"] == {"__typename": "Query"}


@pytest.mark.parametrize(
    "query",
    [
        '{ citizen(nik: "3671010101010001") { ...Missing } }',
        "{ ...Missing }",
        "query A { __typename } query A { __typename }",
        "{ __typename } { __typename }",
        "{ citizen { nik } }",
    ],
)
async def test_a_broken_document_is_the_callers_error_not_the_servers(
    hub_url: str, query: str
) -> None:
    _, body, _ = await ask(hub_url, {}, query)
    assert body["data"] is None
    assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}


async def test_a_fragment_shared_by_me_and_my_child_keeps_my_fields(
    hub_url: str, citizen: dict[str, str], family: Family
) -> None:
    child = next(m for m in family.members if m.relationship == "ANAK")
    query = (
        f'{{ me {{ ...F }} c: citizen(nik: "{child.nik}") {{ ...F }} }}'
        " fragment F on Citizen { fullName religion schoolAdmissions { level } }"
    )
    _, body, _ = await ask(hub_url, citizen, query)
    assert body["data"]["me"]["religion"] == family.head.religion
    assert body["data"]["c"]["religion"] is None
    assert body["data"]["c"]["schoolAdmissions"] is not None
    assert [e["path"] for e in body["errors"]] == [["c", "religion"]]


async def test_relatives_with_masked_niks_are_told_apart_by_ids_bound_to_the_caller(
    hub_url: str, hub_settings: Settings, citizen: dict[str, str], family: Family
) -> None:
    query = "{ me { family { members { id relationship citizen { id nik } } } } }"
    _, body, _ = await ask(hub_url, citizen, query)
    members = body["data"]["me"]["family"]["members"]
    ids = [m["id"] for m in members]
    assert len(set(ids)) == len(family.members)  # every relative its own handle
    assert all(m["citizen"]["id"] == m["id"] for m in members)
    assert not any(n.nik in str(body) for n in family.members if n is not family.head)
    partner = await grant(hub_settings, frozenset({"siak:family"}), name="qa-ids")
    card = "query($k: String!) { family(familyCardNumber: $k) { members { id } } }"
    _, theirs, _ = await ask(hub_url, partner, card, k=family.kk)
    assert not set(ids) & {m["id"] for m in theirs["data"]["family"]["members"]}


# The second review's findings, each with a variant.


async def test_a_nik_repeated_in_a_list_counts_every_time(
    hub_url: str, citizen: dict[str, str], family: Family
) -> None:
    query = "query($n: [NIK!]!) { citizens(niks: $n) { nik } }"
    _, body, _ = await ask(hub_url, citizen, query, n=[family.head.nik] * 101)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["limit"] == "batch_size"
    aliased = " ".join(f'a{i}: citizen(nik: "{family.head.nik}") {{ nik }}' for i in range(25))
    spread = f"query($n: [NIK!]!) {{ {aliased} x: citizens(niks: $n) {{ nik }} }}"
    _, body, _ = await ask(hub_url, citizen, spread, n=[family.head.nik] * 76)
    assert body["errors"][0]["extensions"]["limit"] in ("batch_size", "root_fields")


@pytest.mark.parametrize("kind", ["anonymous", "partner"])
async def test_an_argument_that_does_not_coerce_refuses_the_whole_operation(
    hub_url: str, hub_settings: Settings, family: Family, kind: str
) -> None:
    headers = (
        {}
        if kind == "anonymous"
        else await grant(hub_settings, frozenset({"siak:profile"}), name="qa-coerce")
    )
    query = f"""query($n: NIK = "{family.head.nik}") {{
        x: citizen(nik: $n) {{ nik }}
        a: family(familyCardNumber: "{family.kk}") {{ familyCardNumber }}
        p: resolveIdentity(system: ANTRIAN, identifier: "085629624448") {{ kind }}
    }}"""
    status, body, _ = await ask(hub_url, headers, query, n=None)
    assert body["data"] is None
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == ({"UNAUTHENTICATED"} if kind == "anonymous" else {"BAD_USER_INPUT"})
    assert status == (401 if kind == "anonymous" else 200)


async def test_beside_a_masked_nik_nothing_that_rebuilds_it_is_shown(
    hub_url: str, hub_settings: Settings, family: Family
) -> None:
    scopes = frozenset({"siak:profile", "siak:family", "sikda:read"})
    partner = await grant(hub_settings, scopes, name="qa-rebuild")
    query = """query($k: String!) { family(familyCardNumber: $k) { members { citizen {
        nik birthDate sex address { kecamatanCode } employment { nip }
    } } } }"""
    _, body, _ = await ask(hub_url, partner, query, k=family.kk)
    people = [m["citizen"] for m in body["data"]["family"]["members"]]
    assert all(p["nik"] == "3671" + "*" * 12 and p["birthDate"] is None for p in people)
    refused = [e for e in body["errors"] if e["path"][-1] == "birthDate"]
    assert len(refused) == len(people)
    assert all(e["extensions"]["scope"] == "identity:resolve" for e in refused)
    nips = [p["employment"]["nip"] for p in people if p["employment"]]
    assert nips and all(n.startswith("********") and n[14] == "*" for n in nips)
    # The rebuild the review did (kecamatan + day(+40) + month + year + 0001) has nothing
    # to start from: no birth date, and no NIP that carries one.
    text = str(body)
    for member in family.members:
        # Neither as a date nor as the first eight digits of a NIP.
        assert member.birth_date.isoformat() not in text
        assert member.birth_date.strftime("%Y%m%d") not in text


async def test_looking_up_nobodys_nik_costs_budget_like_anyone_elses(
    small_hub: tuple[Any, str, Settings],
) -> None:
    _, url, settings = small_hub  # six distinct NIKs an hour
    partner = await grant(settings, frozenset({"psb:read"}), name="qa-oracle")
    nobody = [f"367101311299999{i}" for i in range(7)]  # 31-12-1999, serials nobody has
    query = "query($n: [NIK!]!) { citizens(niks: $n) { __typename } }"
    _, body, _ = await ask(url, partner, query, n=nobody[:6])
    assert body["data"] == {"citizens": [None] * 6}
    _, body, _ = await ask(url, partner, query, n=nobody[6:])
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["limit"] == "subject_budget"


async def test_me_with_a_partner_token_says_what_me_is_for(
    hub_url: str, partner_headers: dict[str, str]
) -> None:
    _, body, _ = await ask(hub_url, partner_headers, "{ me { nik } }")
    assert body["data"] == {"me": None}
    [error] = body["errors"]
    assert error["extensions"] == {"code": "FORBIDDEN", "reason": "not_a_citizen"}
    assert "citizen(nik:)" in error["message"]


async def test_a_partner_is_refused_consents_before_they_are_read_or_logged(
    hub_url: str, hub_settings: Settings, partner_headers: dict[str, str], family: Family
) -> None:
    query = "query($n: NIK!) { citizen(nik: $n) { consents { appId } } }"
    _, body, headers = await ask(hub_url, partner_headers, query, n=family.head.nik)
    assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN", "reason": "citizen_only"}
    logged = await logged_entries(hub_settings, headers["X-Request-Id"], [family.head.nik])
    [row] = logged[family.head.nik]
    assert "consents" not in row.fields
