"""What an operations team reads: /healthz, /readyz, /metrics and the traces, on the test city."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from connectors.city import Family
from connectors.seeding import SeedReport
from hub import metrics
from hub.app import SOURCES, create_app
from hub.metrics import BoundedLabel
from hub.settings import Settings
from hub.settings_model import MetricsSettings
from hub.telemetry import Tracing
from tests.e2e.conftest import grant

CITIZEN = "query CitizenName($n: NIK!) { citizen(nik: $n) { fullName schoolAdmissions { level } } }"
FAMILY = (
    "query Family($kk: String!) { family(familyCardNumber: $kk) { members { citizen { nik } } } }"
)
METRICS_TOKEN = "metrics-token-for-the-tests-0123456789"


class Hub:
    def __init__(self, url: str, app: Any, spans: InMemorySpanExporter) -> None:
        self.url, self.app, self.spans = url, app, spans


@pytest.fixture(scope="module")
async def observed(hub_settings: Settings) -> AsyncIterator[Hub]:
    """A hub whose spans are kept in memory and whose /metrics wants a token."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    settings = replace(hub_settings, metrics=MetricsSettings(token=METRICS_TOKEN))
    app = create_app(settings, tracing=Tracing(provider))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    # Fresh label slots: the tests before these, in this process, may have filled them.
    labels = (metrics.operation_label, metrics.client_label, metrics.limit_label)
    metrics.operation_label = BoundedLabel(metrics.MAX_OPERATION_NAMES)
    metrics.client_label = BoundedLabel(metrics.MAX_CLIENTS, shape=metrics.CLIENT_SHAPE)
    metrics.limit_label = BoundedLabel(metrics.MAX_LIMIT_NAMES)
    try:
        yield Hub(str(server.make_url("")).rstrip("/"), app, exporter)
    finally:
        metrics.operation_label, metrics.client_label, metrics.limit_label = labels
        await server.close()


async def scrape(hub: Hub, **headers: str) -> tuple[int, str]:
    headers.setdefault("Authorization", f"Bearer {METRICS_TOKEN}")
    async with (
        aiohttp.ClientSession() as session,
        session.get(hub.url + "/metrics", headers=headers) as r,
    ):
        return r.status, await r.text()


def sample(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` in the exposition ``text`` that carry ``labels``
    (0 when there are none)."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def post(
    session: aiohttp.ClientSession, url: str, query: str, headers: dict[str, str], **variables: Any
) -> tuple[int, dict[str, Any], str]:
    payload = {"query": query, "variables": variables}
    async with session.post(url + "/graphql", json=payload, headers=headers) as r:
        return r.status, await r.json(), r.headers.get("X-Request-Id", "")


async def test_healthz_is_alive_without_databases_and_readyz_names_the_hub_database(
    observed: Hub,
) -> None:
    store = observed.app[SOURCES].store

    async def down() -> None:
        raise ConnectionRefusedError

    store.ping = down  # type: ignore[method-assign]
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(observed.url + "/healthz") as r:
                assert r.status == 200 and await r.json() == {"status": "ok"}
            async with session.get(observed.url + "/readyz") as r:
                ready = await r.json()
        assert r.status == 503, ready
        assert ready["status"] == "unavailable" and ready["hub"] == {"reachable": False}
        assert ready["reasons"] == ["the hub database does not answer: no token can be checked"]
        assert ready["sources"]["SIAK"]["reachable"] and ready["audit"]["reachable"]
    finally:
        del store.ping
    await asyncio.sleep(2.1)  # the probe's answer is kept two seconds
    async with aiohttp.ClientSession() as session, session.get(observed.url + "/readyz") as r:
        assert r.status == 200 and (await r.json())["status"] == "ready"


async def test_metrics_need_their_token(observed: Hub) -> None:
    assert (await scrape(observed, Authorization=""))[0] == 401
    assert (await scrape(observed, Authorization="Bearer wrong-token"))[0] == 401
    assert (await scrape(observed, Authorization=f"Basic {METRICS_TOKEN}"))[0] == 401
    status, text = await scrape(observed)
    assert status == 200 and "citizen_hub_requests_total" in text


async def get_once(settings: Settings, path: str) -> tuple[int, Any]:
    """GET ``path`` from a hub of its own on ``settings``: the status and JSON body."""
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(str(server.make_url(path))) as r,
        ):
            return r.status, await r.json()
    finally:
        await server.close()


async def test_metrics_refuse_a_reader_outside_the_network(hub_settings: Settings) -> None:
    settings = replace(hub_settings, metrics=MetricsSettings(networks=("10.20.30.0/24",)))
    status, body = await get_once(settings, "/metrics")
    assert status == 403
    assert "monitoring network" in body["error"]


async def test_operations_sources_and_refusals_are_counted_without_personal_data(
    observed: Hub, hub_settings: Settings, family: Family, seed_report: SeedReport
) -> None:
    assert seed_report.city is not None
    headers = await grant(hub_settings, name="qa-metrics")
    client_id = await _client_of(observed, headers)
    _, before = await scrape(observed)
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            status, body, _ = await post(session, observed.url, CITIZEN, headers, n=family.head.nik)
            assert status == 200 and body["data"]["citizen"]["fullName"] == family.head.name
            assert not body.get("errors") or "SOURCE" in str(body["errors"])
        # A name that hides a NIK is counted under "other", never as itself.
        hiding = f'query _{family.head.nik} {{ citizen(nik: "{family.head.nik}") {{ nik }} }}'
        assert (await post(session, observed.url, hiding, headers))[0] == 200
        niks = [p.nik for p in seed_report.city.people[:101]]
        _, refused, _ = await post(
            session, observed.url, "query Many($n: [NIK!]!) { citizens(niks: $n) { nik } }",
            headers, n=niks,
        )  # fmt: skip
        assert refused["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    _, after = await scrape(observed)

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    # ok, or partial where a loaded machine made a source time out: counted either way.
    # Free-text names are "other" (only registered documents name a label:
    # test_operation_labels); the three reads, the hiding name and the refusal.
    assert grew("citizen_hub_requests_total", operation="other", client=client_id) == 5
    assert grew("citizen_hub_request_seconds_count", operation="other") == 5
    assert grew("citizen_hub_requests_total", operation="other", outcome="limit_exceeded") == 1
    assert grew("citizen_hub_limit_refusals_total", limit="batch_size") == 1
    assert grew("citizen_hub_source_seconds_count", source="SIAK") >= 4
    assert grew("citizen_hub_source_calls_total", source="PSB") >= 3
    assert grew("citizen_hub_source_statements_total", source="SIAK") >= 4
    assert sample(after, "citizen_hub_circuit_state", source="SIAK") == 0
    assert grew("citizen_hub_audit_write_seconds_count") >= 4
    assert grew("citizen_hub_audit_batch_size_count") >= 1
    people = seed_report.city.people
    assert not [p.nik for p in people if p.nik in after]
    assert not [p.name for p in people if f'"{p.name}"' in after]


async def test_open_websockets_are_counted(observed: Hub) -> None:
    _, before = await scrape(observed)
    open_before = sample(before, "citizen_hub_websocket_connections")
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(observed.url + "/graphql", protocols=["graphql-transport-ws"]) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": {}})
        assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
        _, during = await scrape(observed)
        assert sample(during, "citizen_hub_websocket_connections") == open_before + 1
    await asyncio.sleep(0.2)
    _, after = await scrape(observed)
    assert sample(after, "citizen_hub_websocket_connections") == open_before


async def test_spans_carry_the_request_and_sources_never_a_nik_or_a_name(
    observed: Hub, hub_settings: Settings, family: Family, seed_report: SeedReport
) -> None:
    assert seed_report.city is not None
    headers = await grant(hub_settings, name="qa-traces")
    observed.spans.clear()
    async with aiohttp.ClientSession() as session:
        _, _, citizen_request = await post(
            session, observed.url, CITIZEN, headers, n=family.head.nik
        )
        _, body, _ = await post(session, observed.url, FAMILY, headers, kk=family.kk)
        assert len(body["data"]["family"]["members"]) == len(family.members)
        await post(session, observed.url, CITIZEN, headers, n="not-a-nik")
    spans = observed.spans.get_finished_spans()
    operations = [s for s in spans if s.name.startswith("graphql ")]
    assert [s.name for s in operations] == ["graphql other"] * 3  # free text: never a name
    first = operations[0]
    assert first.attributes is not None
    assert first.attributes["citizen_hub.request_id"] == citizen_request
    assert set(first.attributes["citizen_hub.sources"]) >= {"SIAK", "PSB"}  # type: ignore[arg-type]
    assert first.attributes["citizen_hub.outcome"] in ("ok", "partial")
    assert operations[2].attributes is not None
    assert operations[2].attributes["citizen_hub.outcome"] == "bad_user_input"
    batches = [s for s in spans if s.name == "source.batch"]
    assert {"SIAK", "PSB"} <= {s.attributes["citizen_hub.source"] for s in batches if s.attributes}
    # A source batch and the audit write nest under their operation's span.
    assert any(s.parent is not None and s.parent.span_id == first.context.span_id for s in batches)
    assert any(s.name == "audit.write" for s in spans)
    dumped = json.dumps([{"name": s.name, **dict(s.attributes or {})} for s in spans])
    people = seed_report.city.people
    assert not [p.nik for p in people if p.nik in dumped]
    assert not [p.name for p in people if p.name in dumped]
    assert family.kk not in dumped


async def _client_of(hub: Hub, headers: dict[str, str]) -> str:
    """The client id behind ``headers``' token, as the metrics label it."""
    token = headers["Authorization"].split(" ", 1)[1]
    payload = token.split(".")[1]
    claims = json.loads(_b64(payload))
    client: str = claims.get("client_id") or claims["sub"]
    return client


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def test_a_stopping_hub_closes_websockets_going_away_and_refuses_new_work(
    hub_settings: Settings,
) -> None:
    app = create_app(hub_settings)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url("")).rstrip("/")
    try:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(url + "/graphql", protocols=["graphql-transport-ws"])
            await ws.send_json({"type": "connection_init", "payload": {}})
            assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
            await app.shutdown()  # what the runner calls once the port is closed
            closing = await ws.receive(timeout=5)
            assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 1001
            async with session.post(url + "/graphql", json={"query": "{ __typename }"}) as r:
                assert r.status == 503 and r.headers["Retry-After"] == "1"
                body = await r.json()
                assert body["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
            async with session.get(url + "/readyz") as r:
                assert r.status == 503
                assert "the hub is shutting down" in (await r.json())["reasons"]
            async with session.get(url + "/healthz") as r:
                assert r.status == 200 and await r.json() == {"status": "stopping"}
    finally:
        await server.close()


async def test_a_body_past_its_cap_is_counted_as_a_limit_refusal(observed: Hub) -> None:
    _, before = await scrape(observed)
    padding = " " * 300_000  # past [limits] max_body_bytes (256 KiB)
    async with (
        aiohttp.ClientSession() as session,
        session.post(observed.url + "/graphql", json={"query": "{ __typename }" + padding}) as r,
    ):
        assert r.status == 413
    _, after = await scrape(observed)
    refused = sample(after, "citizen_hub_limit_refusals_total", limit="request_size")
    assert refused - sample(before, "citizen_hub_limit_refusals_total", limit="request_size") == 1


async def test_redis_away_degrades_readiness_without_taking_the_hub_out(
    hub_settings: Settings,
) -> None:
    # Limits fall back to this process while Redis is away: the hub still serves.
    settings = replace(hub_settings, redis_url="redis://127.0.0.1:1/0")
    status, ready = await get_once(settings, "/readyz")
    assert status == 200 and ready["status"] == "degraded", ready
    assert ready["redis"] == {"reachable": False}
    assert ready["reasons"] == ["Redis does not answer: limits are counted per process"]
