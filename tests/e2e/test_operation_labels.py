"""The ``operation`` label of the metrics and the access log: registered documents' names
and partners' own names only, never a name a citizen or an anonymous caller chose; and a
crash counted as ``internal``, never ``ok``. Over real HTTP, read from /metrics and the
access log."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from connectors.base import Source
from connectors.city import Family
from hub import metrics
from hub.access_log import HubAccessLogger
from hub.app import create_app
from hub.metrics import BoundedLabel
from schema.federation import Federation
from tests.e2e.conftest import citizen_headers, city_settings, grant
from tests.e2e.test_observability import sample
from tests.e2e.test_trusted_documents import by_id, registered

REGISTERED = "query RegisteredCentreCodes { serviceCentres { code } }\n"
PERSONAL = (
    "CATUR_TAMBA",
    "nik_3671_04260_28100_01",
    "citizen_UchitaTampubolon",
    "x3x6x7x1x0x4x6x6x1x1x8x4x0x0x0x1",
)


class Hub:
    def __init__(self, url: str, settings: Any) -> None:
        self.url, self.settings = url, settings


@pytest.fixture
async def hub(
    city_dsns: dict[Source | str, str], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Hub]:
    """A hub writing the access log, with label slots of its own."""
    monkeypatch.setattr(metrics, "operation_label", BoundedLabel(metrics.MAX_OPERATION_NAMES))
    settings = city_settings(city_dsns)
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server(access_log_class=HubAccessLogger)
    try:
        yield Hub(str(server.make_url("")).rstrip("/"), settings)
    finally:
        await server.close()


async def send(url: str, payload: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url + "/graphql", json=payload, headers=headers) as r,
    ):
        body: dict[str, Any] = await r.json()
        return body


async def scrape(url: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(url + "/metrics") as r:
        assert r.status == 200
        return await r.text()


def logged(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    """(operation, outcome) of each access log line of a GraphQL request."""
    return [
        (r.operation, r.outcome)  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == "aiohttp.access" and hasattr(r, "operation")
    ]


def centres(name: str) -> dict[str, Any]:
    return {"query": f"query {name} {{ serviceCentres {{ code }} }}"}


async def test_only_registered_documents_name_operations(
    hub: Hub, family: Family, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    await registered(hub.settings, REGISTERED)
    partner = await grant(hub.settings, name="qa-labels")
    citizen = await citizen_headers(hub.settings, family.head.nik)
    before = await scrape(hub.url)

    # A partner's own names, plain or not, are free text: never labels.
    assert "errors" not in await send(hub.url, centres("CentreList"), partner)
    for name in PERSONAL:  # names that carry a person or a number
        assert "errors" not in await send(hub.url, centres(name), partner)
    # A citizen's and an anonymous caller's names are never labels, however plain.
    assert "errors" not in await send(hub.url, {"query": "query MyProfile { me { nik } }"}, citizen)
    assert "errors" not in await send(hub.url, centres("AnonCentres"), {})
    # A registered document's name is, whoever sends its id.
    assert "errors" not in await send(hub.url, by_id(REGISTERED), {})

    after = await scrape(hub.url)

    def grew(**labels: str) -> float:
        name = "citizen_hub_requests_total"
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew(operation="RegisteredCentreCodes", client="anonymous") == 1
    assert grew(operation="other", client="anonymous") == 1
    assert grew(operation="other", outcome="ok") == len(PERSONAL) + 3
    for name in (*PERSONAL, "CentreList", "MyProfile", "AnonCentres"):
        assert name not in after
    operations = [operation for operation, _ in logged(caplog)]
    assert operations == [*["other"] * (len(PERSONAL) + 3), "RegisteredCentreCodes"]


async def test_a_resolver_crash_counts_as_internal_not_ok(
    hub: Hub, family: Family, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def crash(self: Federation, *args: Any, **kwargs: Any) -> list[Any]:
        raise RuntimeError("a bug in the citizen loader")

    monkeypatch.setattr(Federation, "citizens", crash)
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    partner = await grant(hub.settings, name="qa-crash")
    before = await scrape(hub.url)
    # The crash leaves the other field's data: once counted "partial", a client's kind
    # of failure; the hub's own is "internal".
    query = "query Crashing($n: NIK!) { citizen(nik: $n) { nik } sources { system } }"
    body = await send(hub.url, {"query": query, "variables": {"n": family.head.nik}}, partner)
    assert body["data"]["citizen"] is None and body["data"]["sources"], body
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL"
    after = await scrape(hub.url)

    def grew(outcome: str) -> float:
        name = "citizen_hub_requests_total"
        labels = {"operation": "other", "outcome": outcome}
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert (grew("internal"), grew("partial"), grew("ok")) == (1, 0, 0)
    assert logged(caplog)[-1] == ("other", "internal")
