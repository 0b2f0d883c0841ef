"""A walk-in the model matched and served as certain, rejected by a steward over real HTTP:
partners are no longer served the ticket as the citizen's, and the next sync does not
bring it back.
(A link carrying the NIK stays the register's: test_steward_review.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from connectors.base import Source
from hub.app import create_app
from hub.identity.sync import sync_databases
from hub.settings import Settings
from tests.conftest import ScratchDatabases
from tests.e2e.conftest import city_settings, grant, realistic_city
from tests.e2e.identity_support import fetch
from tests.e2e.test_steward_review import DECIDE, QUEUE, STEWARD, ask

TICKETS = "query($nik: NIK!) { citizen(nik: $nik) { queueTickets { id link } } }"
_CERTAIN = (
    "SELECT encode(link_key, 'hex') AS id, nik, value FROM identity_links"
    " WHERE kind = 'QUEUE_TICKET' AND status = 'CERTAIN' AND method = 'MATCHED'"
    " AND in_register ORDER BY record LIMIT 1"
)


@pytest.fixture(scope="module")
async def city(test_databases: ScratchDatabases) -> dict[Source | str, str]:
    return await realistic_city(test_databases, "steward_rejects", 1000, 5)


@pytest.fixture(scope="module")
async def hub(city: dict[Source | str, str]) -> AsyncIterator[tuple[str, Settings]]:
    settings = city_settings(city)
    async with TestServer(create_app(settings), host="127.0.0.1") as server:
        yield str(server.make_url("")).rstrip("/"), settings


async def test_a_walk_in_served_as_certain_can_be_rejected_and_stays_rejected(
    hub: tuple[str, Settings], city: dict[Source | str, str]
) -> None:
    url, settings = hub
    steward = await grant(settings, frozenset({STEWARD}), name="qa-steward", purpose="qa-steward")
    [case] = await fetch(city["hub"], _CERTAIN)
    # Asked for the citizen, the queue shows the match for the steward to take back.
    _, body, _ = await ask(url, steward, QUEUE, nik=case["nik"])
    assert case["id"] in {i["id"] for i in body["data"]["identityReviewQueue"]["items"]}
    # The whole queue is what is in doubt: no certain match.
    _, body, _ = await ask(url, steward, QUEUE)
    doubts = "SELECT count(*) AS n FROM identity_links WHERE status <> 'CERTAIN'"
    [row] = await fetch(city["hub"], doubts)
    assert body["data"]["identityReviewQueue"]["total"] == row["n"]
    partner = await grant(settings, name="qa-reader")

    async def tickets() -> set[str]:
        _, body, _ = await ask(url, partner, TICKETS, nik=case["nik"])
        assert "errors" not in body, body
        return {t["id"] for t in body["data"]["citizen"]["queueTickets"]}

    assert case["value"] in await tickets()
    _, body, _ = await ask(url, steward, DECIDE % "acceptIdentityLink", id=case["id"], reason="x")
    assert "certain" in body["errors"][0]["message"]  # accepting adds nothing
    reason = "the citizen says his wife took it"
    _, body, _ = await ask(
        url, steward, DECIDE % "rejectIdentityLink", id=case["id"], reason=reason
    )
    assert "errors" not in body, body
    assert {d["decision"] for d in body["data"]["rejectIdentityLink"]} == {"REJECTED"}
    assert case["value"] not in await tickets()

    await sync_databases({s: city[s] for s in Source}, city["hub"])
    assert case["value"] not in await tickets()
    back = "SELECT 1 FROM identity_links WHERE encode(link_key, 'hex') = $1"
    assert await fetch(city["hub"], back, case["id"]) == []
