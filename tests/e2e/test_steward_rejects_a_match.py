"""A walk-in the model matched and served as certain, decided by a steward over real HTTP:
confirmed, the citizen is shown the visit as theirs; taken back, partners are no longer
served it, and the next sync does not bring it back.
(A link carrying the NIK stays the register's: test_steward_review.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from connectors.base import Source
from hub.app import create_app
from hub.identity.sync import sync_databases
from hub.settings import Settings
from tests.conftest import ScratchDatabases
from tests.e2e.conftest import citizen_headers, city_settings, grant, logged_for, realistic_city
from tests.e2e.identity_support import fetch
from tests.e2e.test_steward_review import DECIDE, QUEUE, STEWARD, ask

TICKETS = "query($nik: NIK!) { citizen(nik: $nik) { queueTickets { id } } }"
MINE = "query { me { queueTickets { id } } }"
_CERTAIN = (
    "SELECT encode(link_key, 'hex') AS id, nik, value FROM identity_links"
    " WHERE kind = 'QUEUE_TICKET' AND status = 'CERTAIN' AND method = 'MATCHED'"
    " AND in_register ORDER BY record LIMIT 2"
)


@pytest.fixture(scope="module")
async def city(test_databases: ScratchDatabases) -> dict[Source | str, str]:
    return await realistic_city(test_databases, "steward_rejects", 1000, 5)


@pytest.fixture(scope="module")
async def hub(city: dict[Source | str, str]) -> AsyncIterator[tuple[str, Settings]]:
    settings = city_settings(city)
    async with TestServer(create_app(settings), host="127.0.0.1") as server:
        yield str(server.make_url("")).rstrip("/"), settings


async def test_a_walk_in_served_as_certain_can_be_confirmed_or_taken_back(
    hub: tuple[str, Settings], city: dict[Source | str, str]
) -> None:
    url, settings = hub
    steward = await grant(settings, frozenset({STEWARD}), name="qa-steward", purpose="qa-steward")
    partner = await grant(settings, name="qa-reader")
    confirmed, taken_back = await fetch(city["hub"], _CERTAIN)

    async def served(case: Any, headers: dict[str, str], query: str) -> set[str]:
        _, body, _ = await ask(url, headers, query, nik=case["nik"])
        assert "errors" not in body, body
        (viewed,) = body["data"].values()  # citizen(nik:) or me
        return {t["id"] for t in viewed["queueTickets"]}

    # Asked for the citizen, the queue shows the match for the steward to decide.
    _, body, _ = await ask(url, steward, QUEUE, nik=taken_back["nik"])
    assert taken_back["id"] in {i["id"] for i in body["data"]["identityReviewQueue"]["items"]}
    # The whole queue is what is in doubt: no certain match.
    _, body, _ = await ask(url, steward, QUEUE)
    doubts = "SELECT count(*) AS n FROM identity_links WHERE status <> 'CERTAIN'"
    [row] = await fetch(city["hub"], doubts)
    assert body["data"]["identityReviewQueue"]["total"] == row["n"]

    # Confirmed (a KTP seen at the counter): the citizen is shown the visit as theirs.
    citizen = await citizen_headers(settings, confirmed["nik"])
    assert confirmed["value"] not in await served(confirmed, citizen, MINE)
    _, body, _ = await ask(
        url, steward, DECIDE % "acceptIdentityLink", id=confirmed["id"], reason="KTP"
    )
    assert "errors" not in body, body
    assert confirmed["value"] in await served(confirmed, citizen, MINE)

    # Taken back (the citizen says his wife came): no longer served, and it stays out.
    assert taken_back["value"] in await served(taken_back, partner, TICKETS)
    reason = "the citizen says his wife took it"
    _, body, _ = await ask(
        url, steward, DECIDE % "rejectIdentityLink", id=taken_back["id"], reason=reason
    )
    assert "errors" not in body, body
    assert {d["decision"] for d in body["data"]["rejectIdentityLink"]} == {"REJECTED"}
    assert taken_back["value"] not in await served(taken_back, partner, TICKETS)
    await sync_databases({s: city[s] for s in Source}, city["hub"])
    assert taken_back["value"] not in await served(taken_back, partner, TICKETS)
    assert confirmed["value"] in await served(confirmed, citizen, MINE)
    back = "SELECT 1 FROM identity_links WHERE encode(link_key, 'hex') = $1"
    assert await fetch(city["hub"], back, taken_back["id"]) == []


@pytest.mark.parametrize("second", ['"00000000"', "$id"])
async def test_a_decision_beside_another_field_is_refused_before_it_is_taken(
    hub: tuple[str, Settings], city: dict[Source | str, str], second: str
) -> None:
    """Beside a failing decision the answer would be data: null (the fields are non-null)
    after the first was taken and logged: the steward would be told it failed."""
    url, settings = hub
    steward = await grant(settings, frozenset({STEWARD}), name="qa-steward", purpose="qa-steward")
    [case] = await fetch(
        city["hub"],
        "SELECT encode(link_key, 'hex') AS id, nik FROM identity_links"
        " WHERE status = 'SUGGESTED' ORDER BY record DESC LIMIT 1",
    )
    both = (
        'mutation($id: ID!) { a: acceptIdentityLink(id: $id, reason: "KTP") { nik }'
        f' b: acceptIdentityLink(id: {second}, reason: "KTP") {{ nik }} }}'
    )
    _, body, request_id = await ask(url, steward, both, id=case["id"])
    assert body.get("data") is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["rule"] == "one_decision"
    decided = "SELECT 1 FROM identity_decisions WHERE encode(link_key, 'hex') = $1"
    assert await fetch(city["hub"], decided, case["id"]) == []
    assert await logged_for(settings, request_id, [case["nik"]]) == set()
