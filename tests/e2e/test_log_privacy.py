"""The hub's log, as JSON lines, after a realistic mix of requests: no NIK, name or phone of
anyone in the test city, yet enough to follow each request (id, client, operation, status)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from connectors.city import Family
from connectors.seeding import SeedReport
from hub import metrics
from hub.access_log import HubAccessLogger
from hub.app import create_app
from hub.logs import json_formatter
from hub.metrics import BoundedLabel
from hub.settings import Settings
from tests.e2e.conftest import citizen_headers, grant

CITIZEN = "query CitizenName($n: NIK!) { citizen(nik: $n) { fullName phone: nik } }"
FAMILY = (
    "query Family($kk: String!) { family(familyCardNumber: $kk) {"
    " head { fullName } members { relationship citizen { nik fullName } } } }"
)


@pytest.fixture
async def logged_hub(hub_settings: Settings) -> AsyncIterator[str]:
    server = TestServer(create_app(hub_settings), host="127.0.0.1")
    # Given to start_server: TestServer(app, access_log_class=...) would drop it silently.
    await server.start_server(access_log_class=HubAccessLogger)
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@pytest.fixture
def fresh_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Label slots of their own: the tests before, in this process, may have filled them."""
    monkeypatch.setattr(metrics, "operation_label", BoundedLabel(metrics.MAX_OPERATION_NAMES))
    monkeypatch.setattr(metrics, "client_label", BoundedLabel(metrics.MAX_CLIENTS))


@pytest.mark.usefixtures("fresh_labels")
async def test_a_realistic_run_logs_no_nik_name_or_phone(
    logged_hub: str,
    hub_settings: Settings,
    family: Family,
    other_family: Family,
    seed_report: SeedReport,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert seed_report.city is not None
    url = logged_hub
    partner = await grant(hub_settings, name="qa-logs")
    citizen = await citizen_headers(hub_settings, family.head.nik)
    head, stranger = family.head, other_family.head
    caplog.set_level(logging.DEBUG)
    async with aiohttp.ClientSession() as session:

        async def ask(query: str, headers: dict[str, str], **variables: Any) -> int:
            payload = {"query": query, "variables": variables}
            async with session.post(url + "/graphql", json=payload, headers=headers) as r:
                await r.read()
                return r.status

        # Partners: a citizen, a family, the same through GET with the NIK in the URL.
        assert await ask(CITIZEN, partner, n=head.nik) == 200
        assert await ask(FAMILY, partner, kk=family.kk) == 200
        params = {"query": CITIZEN, "variables": json.dumps({"n": stranger.nik})}
        async with session.get(url + "/graphql", params=params, headers=partner) as r:
            assert r.status == 200
        # A citizen: themself, and a stranger they may not see.
        assert await ask("query Me { me { fullName } }", citizen) == 200
        assert await ask(CITIZEN, citizen, n=stranger.nik) == 200
        # Sign-in errors: a forged token, no purpose, a wrong client secret.
        forged = {"Authorization": f"Bearer eyJhbGciOiJub25lIn0.{head.nik}.x"}
        assert await ask(CITIZEN, forged, n=head.nik) == 401
        unregistered = {**partner, "X-Purpose": "not-registered"}
        assert await ask(CITIZEN, unregistered, n=head.nik) == 403
        token_form = {"grant_type": "client_credentials", "client_id": head.nik}
        async with session.post(
            url + "/oauth/token", data={**token_form, "client_secret": head.name}
        ) as r:
            assert r.status in (400, 401)
        # Bad input: a malformed NIK, a syntax error quoting one, a name as a NIK, NUL.
        assert await ask(CITIZEN, partner, n=head.nik + "9") == 200
        assert await ask(f'{{ citizen(nik: "{head.nik}") {{ fullName ', partner) == 200
        assert await ask(CITIZEN, partner, n=head.name) == 200
        assert await ask("query($q: String!) { resolveIdentity(system: SIAK, identifier: $q)"
                         " { value } }", partner, q=f"{head.phone}\x00") == 200  # fmt: skip
        # A websocket operation is logged as a line of its own.
        async with session.ws_connect(url + "/graphql", protocols=["graphql-transport-ws"]) as ws:
            await ws.send_json({"type": "connection_init", "payload": partner})
            assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
            payload = {"query": CITIZEN, "variables": {"n": head.nik}}
            await ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
            assert (await ws.receive_json(timeout=5))["type"] == "next"
    formatter = json_formatter()
    lines = [formatter.format(r) for r in caplog.records]
    text = "\n".join(lines)

    people = seed_report.city.people
    assert not [p.nik for p in people if p.nik in text]
    assert not [p.name for p in people if p.name in text]
    assert not [p.phone for p in people if p.phone and p.phone in text]
    assert family.kk not in text

    records = [json.loads(line) for line in lines]
    access = [r for r in records if r["logger"] == "aiohttp.access"]
    # Free text names no operation (registered documents do: test_operation_labels).
    assert {r.get("operation") for r in access if "operation" in r} <= {"other", "unnamed"}
    answered = next(r for r in access if r["status"] == 200 and r.get("outcome") == "ok")
    assert answered["status"] == 200 and answered["outcome"] == "ok"
    assert answered["request_id"] != "-" and answered["client"] not in ("-", "anonymous")
    assert isinstance(answered["duration_ms"], float)
    refused = next(r for r in access if r["status"] == 401)
    # Names from callers without a valid token, and from citizens, are never written.
    assert refused["operation"] == "other" and refused["outcome"] == "unauthenticated"
    assert not any(r.get("operation") == "Me" for r in access)
    assert any(r.get("client") == "citizen-hub-cli" and r["outcome"] == "ok" for r in access)
    websocket = [r for r in records if r["logger"] == "citizen_hub.operations"]
    assert [r["operation"] for r in websocket] == ["other"]
