"""Trusted documents over real HTTP and websockets, in every mode: registered ids
answered, unknown ids refused, text refused where only registered documents may run."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from connectors.base import Source
from connectors.city import Family
from hub.cli import main
from hub.documents.files import operations_of
from hub.documents.store import register
from hub.keys import DOCUMENTS
from hub.settings import Settings
from schema.execution.trusted import DocumentRules
from tests.e2e.conftest import grant
from tests.e2e.limits_support import Hub, limit_of, limited_hub
from tests.e2e.test_access import claims_of

CITIZEN = "query Profile($n: NIK!) { citizen(nik: $n) { nik fullName } }\n"
CENTRES = "query Centres { serviceCentres { code } }\n"
GRAPHIQL = {"X-Citizen-Hub-Page": "graphiql"}


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def registered(settings: Settings, *texts: str) -> None:
    assert settings.hub_dsn is not None
    conn = await asyncpg.connect(settings.hub_dsn)
    try:
        for text in texts:
            await register(conn, operations_of(text, "test", None))
    finally:
        await conn.close()


def by_id(text: str, **variables: Any) -> dict[str, Any]:
    return {"documentId": f"sha256:{digest(text)}", "variables": variables}


def apollo(text: str, **variables: Any) -> dict[str, Any]:
    hash_ = {"persistedQuery": {"version": 1, "sha256Hash": digest(text)}}
    return {"extensions": hash_, "variables": variables}


@pytest.fixture(scope="module")
async def optional(city_dsns: dict[Source | str, str]) -> Any:
    async with limited_hub(city_dsns) as hub:
        await registered(hub.settings, CITIZEN, CENTRES)
        yield hub


async def test_a_registered_document_is_answered_by_id_in_either_form_and_read_once(
    optional: Hub, family: Family
) -> None:
    partner = await grant(optional.settings, name="qa-docs")
    store = optional.app[DOCUMENTS].store
    for body in (by_id(CITIZEN, n=family.head.nik), apollo(CITIZEN, n=family.head.nik)):
        status, answer, _ = await optional.post(body, partner)
        assert status == 200 and answer["data"]["citizen"]["nik"] == family.head.nik
    assert store.statements == 1  # parsed and read once; then from this process's cache
    # Apollo's GET form, as its persisted-query link sends it.
    params = {"extensions": json.dumps(apollo(CENTRES)["extensions"])}
    async with (
        aiohttp.ClientSession() as session,
        session.get(optional.url, params=params, headers=partner) as r,
    ):
        assert r.status == 200 and (await r.json())["data"]["serviceCentres"]
    # Optional mode: text runs too.
    body = await optional.ask(CITIZEN, partner, n=family.head.nik)
    assert body["data"]["citizen"]["nik"] == family.head.nik


async def test_an_unknown_id_is_refused_and_never_registered_on_a_miss(
    optional: Hub, family: Family
) -> None:
    partner = await grant(optional.settings, name="qa-docs-miss")
    unknown = "query Unknown { sources { system } }\n"
    before = optional.statements()
    for body in (by_id(unknown), apollo(unknown)):
        _, answer, _ = await optional.post(body, partner)
        assert limit_of(answer) == {"code": "BAD_USER_INPUT", "rule": "PERSISTED_QUERY_NOT_FOUND"}
        assert f"sha256:{digest(unknown)}" in answer["errors"][0]["message"]
    # Apollo's retry after a miss sends the text with its hash: it runs as text, and
    # registers nothing.
    status, answer, _ = await optional.post({"query": unknown, **apollo(unknown)}, partner)
    assert status == 200 and answer["data"]["sources"]
    _, answer, _ = await optional.post(by_id(unknown), partner)
    assert limit_of(answer)["rule"] == "PERSISTED_QUERY_NOT_FOUND"
    assert optional.statements() - before == 3  # one store lookup per miss, no source read


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"documentId": "sha256:1234"}, "documentId must be"),
        ({"documentId": 7}, "documentId must be a string"),
        ({"query": "{ me { nik } }", "documentId": f"sha256:{digest(CENTRES)}"}, "does not match"),
    ],
)
async def test_a_malformed_id_is_a_400_saying_what_is_wrong(
    optional: Hub, body: dict[str, Any], problem: str
) -> None:
    status, _, text = await optional.post(body)
    assert status == 400 and problem in text


async def test_required_mode_refuses_text_before_any_sql_but_answers_ids(
    city_dsns: dict[Source | str, str], family: Family
) -> None:
    rules = DocumentRules(required=True, free_text_clients=frozenset({"placeholder"}))
    async with limited_hub(city_dsns, graphql=rules) as hub:
        await registered(hub.settings, CITIZEN, CENTRES)
        partner = await grant(hub.settings, name="qa-required")
        before = hub.statements()
        for headers in (partner, {}):
            extensions = limit_of(await hub.ask(CENTRES, headers))
            assert extensions == {"code": "FORBIDDEN", "reason": "trusted_documents_only"}
        assert hub.statements() == before
        _, answer, _ = await hub.post(by_id(CITIZEN, n=family.head.nik), partner)
        assert answer["data"]["citizen"]["fullName"] == family.head.name
        _, answer, _ = await hub.post(by_id(CENTRES))  # anonymous, by id
        assert answer["data"]["serviceCentres"]
        # The hub's GraphiQL page may still send text (graphiql_free_text, on by default).
        body = await hub.ask(CITIZEN, {**partner, **GRAPHIQL}, n=family.head.nik)
        assert body["data"]["citizen"]["nik"] == family.head.nik


async def test_chosen_partners_may_send_text_and_chosen_clients_may_not(
    city_dsns: dict[Source | str, str], family: Family
) -> None:
    # The rules name client ids, which grant() makes: the tokens come first.
    async with limited_hub(city_dsns) as probe:
        free = await grant(probe.settings, name="qa-free-text")
        bound = await grant(probe.settings, name="qa-bound")
        other = await grant(probe.settings, name="qa-unbound")
    free_id, bound_id = claims_of(free)["client_id"], claims_of(bound)["client_id"]
    required = DocumentRules(
        required=True, free_text_clients=frozenset({free_id}), graphiql_free_text=False
    )
    per_client = DocumentRules(trusted_clients=frozenset({bound_id}))
    for rules, allowed, refused in (
        (required, [free], [bound, other, {**other, **GRAPHIQL}]),
        (per_client, [free, other], [bound]),
    ):
        async with limited_hub(city_dsns, graphql=rules) as hub:
            for headers in allowed:
                body = await hub.ask(CITIZEN, headers, n=family.head.nik)
                assert body["data"]["citizen"]["nik"] == family.head.nik
            for headers in refused:
                body = await hub.ask(CITIZEN, headers, n=family.head.nik)
                assert limit_of(body)["reason"] == "trusted_documents_only"


async def test_websocket_operations_follow_the_same_rules(
    city_dsns: dict[Source | str, str], family: Family
) -> None:
    async with limited_hub(city_dsns, graphql=DocumentRules(required=True)) as hub:
        await registered(hub.settings, CITIZEN)
        partner = await grant(hub.settings, name="qa-ws-docs")
        for init, text_allowed in ((partner, False), ({**partner, **GRAPHIQL}, True)):
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(hub.url, protocols=["graphql-transport-ws"]) as ws,
            ):
                await ws.send_json({"type": "connection_init", "payload": init})
                assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
                variables = {"n": family.head.nik}
                payloads = [
                    (by_id(CITIZEN, **variables), None),
                    ({"query": None, **apollo(CITIZEN, **variables)}, None),
                    (by_id("query Nope { sources { system } }\n"), "PERSISTED_QUERY_NOT_FOUND"),
                    (
                        {"query": CITIZEN, "variables": variables},
                        None if text_allowed else "trusted_documents_only",
                    ),
                ]
                for i, (payload, refused) in enumerate(payloads):
                    await ws.send_json({"id": str(i), "type": "subscribe", "payload": payload})
                    answer = await _answer(ws, str(i))
                    if refused is None:
                        assert answer["data"]["citizen"]["nik"] == family.head.nik, answer
                    else:
                        [error] = answer["errors"]
                        assert refused in (
                            error["extensions"].get("rule"),
                            error["extensions"].get("reason"),
                        )


async def _answer(ws: aiohttp.ClientWebSocketResponse, op: str) -> dict[str, Any]:
    while True:
        message = await ws.receive_json(timeout=5)
        if message.get("id") == op and message["type"] == "next":
            payload: dict[str, Any] = message["payload"]
            return payload
        if message.get("id") == op and message["type"] == "error":
            return {"data": None, "errors": message["payload"]}


async def cli(args: list[str]) -> int:
    """``citizen-hub ARGS`` in-process (its own event loop, on a thread of its own)."""
    return await asyncio.to_thread(main, args)


async def test_documents_add_list_and_remove_from_the_command_line(
    city_dsns: dict[Source | str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    family: Family,
) -> None:
    for source in Source:
        monkeypatch.setenv(f"CITIZEN_HUB_{source.name}_DSN", str(city_dsns[source]))
    monkeypatch.setenv("CITIZEN_HUB_HUB_DSN", str(city_dsns["hub"]))
    monkeypatch.delenv("CITIZEN_HUB_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    file = tmp_path / "ops.graphql"
    file.write_text("query CliA { sources { system } }\nquery CliB { me { nik } }\n")
    manifest = tmp_path / "manifest.json"
    assert await cli(["documents", "add", str(file), "--manifest", str(manifest)]) == 0
    printed = capsys.readouterr().out
    ids = json.loads(manifest.read_text())
    assert set(ids) == {"CliA", "CliB"}
    assert f"{ids['CliA']}  CliA  {file}  registered" in printed
    assert await cli(["documents", "add", str(file)]) == 0
    assert printed.count("already registered") == 0
    assert capsys.readouterr().out.count("already registered") == 2
    assert await cli(["documents", "list"]) == 0
    listed = capsys.readouterr().out
    assert ids["CliA"] in listed and "CliB" in listed
    async with limited_hub(city_dsns) as hub:
        _, answer, _ = await hub.post({"documentId": ids["CliA"]})
        assert answer["data"]["sources"]
    assert await cli(["documents", "remove", ids["CliA"]]) == 0
    assert "removed" in capsys.readouterr().out
    assert await cli(["documents", "remove", ids["CliA"]]) == 1
    assert "was not registered" in capsys.readouterr().out
    async with limited_hub(city_dsns) as hub:
        _, answer, _ = await hub.post({"documentId": ids["CliA"]})
        assert limit_of(answer)["rule"] == "PERSISTED_QUERY_NOT_FOUND"
    bad = tmp_path / "bad.graphql"
    bad.write_text("{ nothing }")
    assert await cli(["documents", "add", str(bad)]) == 2
    assert "bad.graphql" in capsys.readouterr().err
