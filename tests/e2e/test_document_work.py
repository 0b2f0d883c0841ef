"""The work a document asks for is measured whole, over real HTTP: every operation and
fragment in it, introspection with a weight of its own, a steward's paged lists at
their cap; and a query whose answer would be ``data: null`` is refused before it runs,
leaving no disclosure behind."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from graphql import get_introspection_query

from connectors.base import Source
from connectors.city import Family
from hub.keys import AUDIT_SINK
from hub.settings import Settings
from schema.execution.trusted import DocumentRules
from tests.e2e.conftest import citizen_headers, grant, logged_for
from tests.e2e.limits_support import Hub, limit_of, limited_hub

STANDARD = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
    one_of=True,
)


def nested_types(levels: int) -> str:
    """``fields { type { fields { type ... } } }``: each level multiplies the answer."""
    inner = "name"
    for _ in range(levels):
        inner = f"fields {{ name type {{ {inner} }} }}"
    return inner


@pytest.fixture(scope="module")
async def hub(city_dsns: dict[Source | str, str]) -> Any:
    async with limited_hub(city_dsns, cost_per_minute=1_000_000) as hub:
        yield hub


async def test_anyone_may_read_the_schema_once_with_the_standard_query(hub: Hub) -> None:
    body = await hub.ask(STANDARD)
    assert "errors" not in body, body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    assert len(body["data"]["__schema"]["types"]) > 50


@pytest.mark.parametrize(
    ("query", "limit", "figure"),
    [
        # Seven copies of the schema in one operation: __schema once per operation.
        (
            "{ " + " ".join(f"s{i}: __schema {{ types {{ name }} }}" for i in range(7)) + " }",
            "introspection",
            7,
        ),
        (
            "{ ...A ...B } fragment A on Query { __schema { queryType { name } } }"
            " fragment B on Query { again: __schema { queryType { name } } }",
            "introspection",
            2,
        ),
        # The review's shape: lists of fields of the types of fields, nested.
        ("{ __schema { types { " + nested_types(4) + " } } }", "introspection_size", None),
        (
            "{ "
            + " ".join(f't{i}: __type(name: "Citizen") {{ {nested_types(3)} }}' for i in range(20))
            + " }",
            "introspection_size",
            None,
        ),
    ],
)
async def test_introspection_past_one_schema_is_refused_before_it_runs(
    hub: Hub, query: str, limit: str, figure: int | None
) -> None:
    before = hub.statements()
    extensions = limit_of(await hub.ask(query))
    assert (extensions["code"], extensions["limit"]) == ("LIMIT_EXCEEDED", limit)
    if figure is not None:
        assert (extensions["value"], extensions["figure"]) == (1, figure)
    else:
        # The standard query's own figure is the allowance: this one asks for more.
        assert extensions["figure"] > extensions["value"] > 1000
    assert hub.statements() == before


async def test_every_operation_in_the_document_counts_not_only_the_one_run(
    hub: Hub, city_dsns: dict[Source | str, str]
) -> None:
    typenames = " ".join(f"a{i}: __typename" for i in range(600))
    citizens = "citizens(niks: $n) { nik employment { nip } }"
    async with limited_hub(city_dsns, max_cost=500) as small:
        partner = await grant(small.settings, name="qa-whole-document")
        for target, query, headers, limit, figure in (
            # The one run is tiny; the other is validated all the same.
            (hub, f"query A {{ __typename }} query B {{ {typenames} }}", None, "root_fields", 600),
            # A fragment no operation spreads is validated too.
            (
                hub,
                f"query A {{ __typename }} fragment F on Query {{ {typenames} }}",
                None,
                "fields",
                601,
            ),
            # 3 × 100 citizens × (the citizen + its employment), in the operation not run.
            (
                small,
                f"query A {{ __typename }} query B($n: [NIK!]!) {{ x: {citizens}"
                f" y: {citizens} z: {citizens} }}",
                partner,
                "cost",
                3 * 100 * 2,
            ),
        ):
            before = target.statements()
            _, body, _ = await target.post({"query": query, "operationName": "A"}, headers)
            extensions = limit_of(body)
            assert (extensions["limit"], extensions["figure"]) == (limit, figure), query[:60]
            assert target.statements() == before
    # The same operation alone answers.
    _, body, _ = await hub.post({"query": "query A { __typename }", "operationName": "A"})
    assert body["data"] == {"__typename": "Query"} and "errors" not in body


async def test_a_paged_steward_list_weighs_its_cap(city_dsns: dict[Source | str, str]) -> None:
    async with limited_hub(city_dsns, max_cost=2000) as hub:
        steward = await grant(
            hub.settings,
            frozenset({"identity:steward"}),
            name="qa-steward-cost",
            purpose="qa-steward",
        )
        cap = hub.settings.limits.max_citizens
        aliases = " ".join(
            f"q{i}: identityReviewQueue(first: {cap}) {{ items {{ nik }} }}" for i in range(25)
        )
        before = hub.statements()
        extensions = limit_of(await hub.ask(f"{{ {aliases} }}", steward))
        # Each alias: the queue's read and up to `cap` items, each showing a NIK.
        assert (extensions["limit"], extensions["figure"]) == ("cost", 25 * (1 + cap))
        assert hub.statements() == before
        body = await hub.ask("{ identityReviewQueue(first: 5) { items { nik } } }", steward)
        assert "errors" not in body, body
        assert len(body["data"]["identityReviewQueue"]["items"]) <= 5  # the small one answers


@pytest.mark.parametrize("introspection", [False, True])
async def test_field_suggestions_answer_only_where_introspection_does(
    city_dsns: dict[Source | str, str], introspection: bool
) -> None:
    async with limited_hub(city_dsns, graphql=DocumentRules(introspection=introspection)) as hub:
        body = await hub.ask("{ serviceCentre { name } }")
        [error] = body["errors"]
        assert "serviceCentre" in error["message"]
        assert ("Did you mean" in error["message"]) is introspection
        assert ("serviceCentres" in error["message"]) is introspection
        # A variable that does not coerce (an enum value mistyped) likewise.
        partner = await grant(hub.settings, name=f"qa-suggestions-{introspection}")
        query = "query($s: SourceSystem) { identityReviewQueue(system: $s) { total } }"
        body = await hub.ask(query, partner, s="SIAKK")
        [error] = body["errors"]
        assert "SIAKK" in error["message"]
        assert ("Did you mean" in error["message"]) is introspection


async def test_a_non_null_root_denied_to_a_citizen_refuses_the_query_leaving_no_row(
    hub_url: str, hub_settings: Settings, family: Family, other_family: Family
) -> None:
    citizen = await citizen_headers(hub_settings, family.head.nik)
    stranger = other_family.head.nik
    entities = (
        '_entities(representations: [{__typename: "Citizen", nik: "' + stranger + '"}])'
        " { __typename }"
    )

    async def ask(query: str) -> tuple[dict[str, Any], str]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(hub_url + "/graphql", json={"query": query}, headers=citizen) as r,
        ):
            return await r.json(), r.headers["X-Request-Id"]

    body, request_id = await ask(f"{{ me {{ nik fullName }} {entities} }}")
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert stranger not in str(body) and family.head.nik not in str(body)
    assert await logged_for(hub_settings, request_id, [family.head.nik, stranger]) == set()
    # A nullable denied root still answers beside what is allowed, and that is logged.
    body, request_id = await ask(f'{{ me {{ nik }} citizen(nik: "{stranger}") {{ nik }} }}')
    assert body["data"] == {"me": {"nik": family.head.nik}, "citizen": None}
    assert await logged_for(hub_settings, request_id, [family.head.nik, stranger]) == {
        family.head.nik
    }


async def test_a_citizens_refused_entities_query_writes_nothing_to_the_log(
    hub: Hub, family: Family, other_family: Family
) -> None:
    citizen = await citizen_headers(hub.settings, family.head.nik)
    log = hub.app[AUDIT_SINK].log
    before = log.statements
    query = (
        "{ me { nik } _entities(representations: "
        f'[{{__typename: "Citizen", nik: "{other_family.head.nik}"}}]) {{ __typename }} }}'
    )
    for _ in range(3):
        assert (await hub.ask(query, citizen))["data"] is None
    assert log.statements == before
    assert (await hub.ask("{ me { nik } }", citizen))["data"]["me"]["nik"] == family.head.nik
    assert log.statements > before  # the counter counts: the allowed read was written
