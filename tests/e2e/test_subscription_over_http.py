"""A subscription sent over HTTP is a client's mistake, refused before anything runs.

The hub streams subscriptions over the websocket only (graphql-transport-ws). Over
HTTP, GET or POST, whatever the ``Accept`` header asks for (``multipart/mixed`` with
``subscriptionSpec``, ``text/event-stream``, JSON), the answer is one JSON document
naming the websocket: 400 with no ``data`` under ``application/graphql-response+json``,
200 with the error under ``application/json``. Never a stream, never INTERNAL, no
ERROR record for an operator, nothing on the disclosure log.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
import pytest

from hub.metrics import registry
from hub.settings import Settings
from tests.e2e.conftest import citizen_headers, logged_for

SUBSCRIPTION = 'subscription { queueTicket(ticketId: "1") { status } }'
MULTIPART = 'multipart/mixed;subscriptionSpec="1.0", application/json'
EVENT_STREAM = "text/event-stream"
RESPONSE_JSON = "application/graphql-response+json"

# Accept header -> the media type and status of the refusal.
ACCEPTS = {
    MULTIPART: ("application/json", 200),
    EVENT_STREAM: ("application/json", 200),
    "application/json": ("application/json", 200),
    RESPONSE_JSON: (RESPONSE_JSON, 400),
}


async def send(
    hub_url: str, method: str, accept: str, headers: dict[str, str]
) -> tuple[int, str, dict[str, Any], str]:
    """(status, content type, body, request id) of one subscription sent over HTTP."""
    all_headers = {"Accept": accept, **headers}
    async with aiohttp.ClientSession() as session:
        if method == "GET":
            call = session.get(
                hub_url + "/graphql", params={"query": SUBSCRIPTION}, headers=all_headers
            )
        else:
            call = session.post(
                hub_url + "/graphql", json={"query": SUBSCRIPTION}, headers=all_headers
            )
        async with call as response:
            text = await response.text()
            return (
                response.status,
                response.content_type,
                json.loads(text),
                response.headers.get("X-Request-Id", ""),
            )


def outcomes() -> dict[str, float]:
    """The operations counted so far in this process, by outcome."""
    counted: dict[str, float] = {}
    for family in registry().collect():
        for sample in family.samples:
            if sample.name == "citizen_hub_requests_total":
                outcome = sample.labels["outcome"]
                counted[outcome] = counted.get(outcome, 0) + sample.value
    return counted


def problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.ERROR or r.exc_info or r.exc_text
    ]


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("accept", list(ACCEPTS))
@pytest.mark.parametrize("with_token", [True, False], ids=["citizen", "anonymous"])
async def test_a_subscription_over_http_is_refused_naming_the_websocket(
    hub_url: str,
    hub_settings: Settings,
    showcase_nik: str,
    caplog: pytest.LogCaptureFixture,
    method: str,
    accept: str,
    with_token: bool,
) -> None:
    headers = await citizen_headers(hub_settings, showcase_nik) if with_token else {}
    media_type, expected_status = ACCEPTS[accept]
    before = outcomes()
    with caplog.at_level(logging.INFO):
        status, content_type, body, request_id = await send(hub_url, method, accept, headers)
    after = outcomes()
    assert (status, content_type) == (expected_status, media_type), body
    errors = body["errors"]
    assert len(errors) == 1
    error = errors[0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["rule"] == "subscription_over_http"
    assert "websocket" in error["message"] and "graphql-transport-ws" in error["message"]
    if media_type == RESPONSE_JSON:
        assert "data" not in body  # nothing ran
    else:
        assert body["data"] is None
    assert problems(caplog) == []
    assert after.get("internal", 0) == before.get("internal", 0)
    assert after.get("bad_user_input", 0) == before.get("bad_user_input", 0) + 1
    assert "Traceback" not in caplog.text and "complete_value" not in caplog.text
    assert request_id  # else the log check below could not fail
    assert await logged_for(hub_settings, request_id, [showcase_nik]) == set()


async def test_queries_over_http_still_answer_beside_the_refusal(hub_url: str) -> None:
    """The refusal is for subscriptions only: a query on the same endpoint runs."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            hub_url + "/graphql",
            json={"query": "{ __typename }"},
            headers={"Accept": MULTIPART},
        ) as response,
    ):
        assert response.status == 200
        assert (await response.json())["data"] == {"__typename": "Query"}
