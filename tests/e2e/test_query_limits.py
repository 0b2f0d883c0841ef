"""Query limits over real HTTP and a websocket: each is refused before any SQL runs,
saying which limit, its value and the operation's figure."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from connectors.base import Source
from connectors.city import Family
from schema.execution.trusted import DocumentRules
from tests.e2e.conftest import grant
from tests.e2e.limits_support import Hub, limit_of, limited_hub

PRODUCTS = (
    "schoolAdmissions { level } civilServiceApplications { year } employment { nip }"
    " assetsHeld { name } procurementRoles { role } districtRequests { number }"
    " queueTickets { number }"
)
HARVEST = (
    "query($n: [NIK!]!) { citizens(niks: $n) { nik family { members { citizen {"
    f" nik {PRODUCTS} }} }} }} }} }}"
)


def deep(levels: int) -> str:
    inner = "nik"
    for _ in range(levels):
        inner = f"family {{ head {{ {inner} }} }}"
    return f'{{ citizen(nik: "3671014507900001") {{ {inner} }} }}'


@pytest.fixture(scope="module")
async def hub(city_dsns: dict[Source | str, str]) -> Any:
    async with limited_hub(city_dsns, cost_per_minute=1_000_000) as hub:
        yield hub


@pytest.fixture(scope="module")
async def partner(hub: Hub) -> dict[str, str]:
    return await grant(hub.settings, name="qa-limits")


@pytest.mark.parametrize(
    ("limit", "value", "query", "figure"),
    [
        ("depth", 10, deep(5), 12),
        (
            "root_fields",
            25,
            "{ "
            + " ".join(f'c{i}: citizen(nik: "3671014507900001") {{ nik }}' for i in range(26))
            + " }",
            26,
        ),
        (
            "aliases",
            30,
            '{ citizen(nik: "3671014507900001") { '
            + " ".join(f"n{i}: nik" for i in range(31))
            + " } }",
            31,
        ),
        # 100 citizens × (the citizen + its card + 10 members × (a citizen + 7 products)).
        ("cost", 5000, HARVEST, 100 * (1 + 1 + 10 * 8)),
    ],
)
async def test_each_limit_is_refused_before_any_sql_saying_its_value_and_the_figure(
    hub: Hub,
    partner: dict[str, str],
    family: Family,
    limit: str,
    value: int,
    query: str,
    figure: int,
) -> None:
    before = hub.statements()
    body = await hub.ask(query, partner, n=[m.nik for m in family.members])
    extensions = limit_of(body)
    assert (extensions["code"], extensions["limit"]) == ("LIMIT_EXCEEDED", limit)
    assert (extensions["value"], extensions["figure"]) == (value, figure)
    message = body["errors"][0]["message"]
    assert str(value) in message and str(figure) in message
    assert hub.statements() == before


async def test_within_every_limit_the_same_operations_are_answered(
    hub: Hub, partner: dict[str, str], family: Family
) -> None:
    thirty = " ".join(f"n{i}: nik" for i in range(30))
    body = await hub.ask(
        "query($n: NIK!) { citizen(nik: $n) { " + thirty + " } }", partner, n=family.head.nik
    )
    assert body["data"]["citizen"]["n29"] == family.head.nik
    body = await hub.ask(HARVEST.replace(f" nik {PRODUCTS}", " nik"), partner, n=[family.head.nik])
    assert "errors" not in body, body


async def test_the_cost_budget_holds_across_requests_and_spends_nothing_when_refused(
    city_dsns: dict[Source | str, str], family: Family
) -> None:
    query = "query($n: [NIK!]!) { citizens(niks: $n) { nik employment { nip } } }"  # 200
    async with limited_hub(city_dsns, cost_per_minute=500) as hub:
        partner = await grant(hub.settings, name="qa-cost-budget")
        other = await grant(hub.settings, name="qa-cost-budget-other")
        niks = [family.head.nik]
        for _ in range(2):
            answered = await hub.ask(query, partner, n=niks)
            assert "errors" not in answered, answered
            assert answered["data"]["citizens"][0]["nik"] == niks[0]
        before = hub.statements()
        extensions = limit_of(await hub.ask(query, partner, n=niks))
        assert hub.statements() == before
        assert (extensions["limit"], extensions["value"], extensions["figure"]) == (
            "cost_per_minute",
            500,
            600,
        )
        assert 1 <= extensions["retryAfter"] <= 60
        # The refused one spent nothing: 100 remain; another client has its own 500.
        single = "query($n: NIK!) { citizen(nik: $n) { nik } }"
        answered = await hub.ask(single, partner, n=niks[0])
        assert answered["data"]["citizen"]["nik"] == niks[0], answered
        answered = await hub.ask(query, other, n=niks)
        assert answered["data"]["citizens"][0]["nik"] == niks[0], answered


async def test_introspection_switched_off_refuses_schema_and_type_but_not_typename(
    city_dsns: dict[Source | str, str],
) -> None:
    async with limited_hub(city_dsns, graphql=DocumentRules(introspection=False)) as hub:
        for query in (
            "{ __schema { types { name } } }",
            '{ __type(name: "Citizen") { fields { name } } }',
            "query { ...S } fragment S on Query { __schema { queryType { name } } }",
        ):
            extensions = limit_of(await hub.ask(query))
            assert extensions == {"code": "FORBIDDEN", "reason": "introspection_disabled"}
        body = await hub.ask("{ __typename serviceCentres { __typename code } }")
        assert body["data"]["__typename"] == "Query"
        assert "errors" not in body
    async with limited_hub(city_dsns) as hub:  # on by default, as in the demo
        body = await hub.ask("{ __schema { queryType { name } } }")
        assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_a_body_or_variables_past_their_cap_is_413_naming_the_setting(
    city_dsns: dict[Source | str, str], family: Family
) -> None:
    async with limited_hub(city_dsns, max_body_bytes=2000, max_variables_bytes=200) as hub:
        partner = await grant(hub.settings, name="qa-caps")
        padded = "{ sources { system } }" + " " * 3000
        before = hub.statements()
        status, _, text = await hub.post({"query": padded}, partner)
        assert status == 413 and "max_body_bytes" in text and "2000" in text
        status, _, text = await hub.post(
            {
                "query": "query($n: [NIK!]!) { citizens(niks: $n) { nik } }",
                "variables": {"n": [family.head.nik] * 12},
            },
            partner,
        )
        assert status == 413 and "max_variables_bytes" in text and "200" in text
        assert hub.statements() == before
        # Over a websocket, where no HTTP status exists: LIMIT_EXCEEDED.
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(hub.url, protocols=["graphql-transport-ws"]) as ws,
        ):
            await ws.send_json({"type": "connection_init", "payload": partner})
            assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
            variables = {"n": [family.head.nik] * 12}
            query = "query($n: [NIK!]!) { citizens(niks: $n) { nik } }"
            await ws.send_json(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables},
                }
            )
            message = await ws.receive_json(timeout=5)
            [error] = (
                message["payload"] if message["type"] == "error" else message["payload"]["errors"]
            )
            assert error["extensions"]["limit"] == "variables_bytes"
        assert hub.statements() == before


async def test_a_batch_is_refused_whole_before_any_operation_runs(
    hub: Hub, partner: dict[str, str], family: Family
) -> None:
    before = hub.statements()
    one = {
        "query": "query($n: NIK!) { citizen(nik: $n) { nik } }",
        "variables": {"n": family.head.nik},
    }
    status, _, text = await hub.post([one, one], partner)
    assert status == 400
    assert "a batch (a JSON array of 2 operations) is not accepted" in text
    assert hub.statements() == before
