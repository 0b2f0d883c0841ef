"""What the hub reads from an HTTP request (hub.http_input) and writes about it (hub.access_log).

The view tests mount a plain strawberry ``GraphQLView`` on a one-field schema, with the
same two overrides the hub's view gets, so they prove the wiring against strawberry itself.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import pytest
import strawberry
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from multidict import MultiDict
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLRequestData

from hub import workers
from hub.access_log import HubAccessLogger, logged_path
from hub.http_input import (
    MAX_JSON_DEPTH,
    JSONTooDeep,
    decode_request_json,
    document_message,
    json_depth,
    loads,
    read_graphql_request,
    request_from_query,
)
from hub.settings import Settings
from schema.execution.trusted import DocumentRef

NIK = "3671014107900003"
NOT_AN_OBJECT = (
    'the request body must be a JSON object with a query, like {"query": "{ ... }"}; it is'
)


def deep(levels: int, inner: str = "") -> str:
    return "[" * levels + inner + "]" * levels


def refusal(raw: bytes | str) -> str:
    with pytest.raises(HTTPException) as caught:
        decode_request_json(raw)
    assert caught.value.status_code == 400
    return caught.value.reason


# --- Nesting depth, found without recursion ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ('"[[[["', 0),
        ("{}", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["]", "[", "\\"[", "\\\\", [[]]]', 3),  # brackets and escaped quotes in strings
        ('{"query": "{ a { b { c } } }"}', 1),  # a GraphQL document is a string
        (deep(1000), 1000),
        ('"unterminated [[[', 0),
        ('"\\', 0),
    ],
)
def test_nesting_depth_counts_brackets_outside_strings(text: str, depth: int) -> None:
    assert json_depth(text) == depth
    assert json_depth(text.encode()) == depth


def test_too_deep_is_refused_before_parsing_as_a_json_decode_error() -> None:
    assert loads(deep(MAX_JSON_DEPTH)) == json.loads(deep(MAX_JSON_DEPTH))
    for text in (deep(MAX_JSON_DEPTH + 1), deep(100_000), '{"v": ' + deep(1000) + "}"):
        with pytest.raises(JSONTooDeep) as caught:
            loads(text)
        # Strawberry's WebSocket handlers treat a JSONDecodeError as a non-JSON message.
        assert isinstance(caught.value, json.JSONDecodeError)


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * (1 << 20),
        b'"' + b'\\"' * (1 << 19),  # a string that never closes, full of escaped quotes
        b'"' * (1 << 20),
        b'["[[[[",' * (1 << 17) + b"1]",
    ],
)
def test_the_depth_scan_is_linear_even_on_hostile_input(raw: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(json.JSONDecodeError):
        loads(raw)
    assert time.perf_counter() - started < 2.0  # ~0.1 s for 1 MiB; quadratic would be hours


def test_json_is_read_strictly() -> None:
    for text in ("NaN", '{"x": Infinity}', "[1,]", "\ufeff{}", b"\xff", "1e999"):
        with pytest.raises(json.JSONDecodeError):
            loads(text)


# --- The request body ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("null", "null"),
        ("1", "a number"),
        ('"x"', "a string"),
        ("true", "a boolean"),
    ],
)
def test_a_body_that_is_not_an_object_is_refused_saying_what_it_is(body: str, kind: str) -> None:
    assert refusal(body) == f"{NOT_AN_OBJECT} {kind}"


@pytest.mark.parametrize(
    ("body", "count"), [("[]", 0), ('[{"query": "{ a }"}, {"query": "{ b }"}]', 2)]
)
def test_a_batch_is_refused_whole_saying_to_send_each_operation_alone(
    body: str, count: int
) -> None:
    assert refusal(body) == (
        f"a batch (a JSON array of {count} operations) is not accepted: send each operation"
        ' in a request of its own, as a JSON object like {"query": "{ ... }"}'
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"query": 1}, "query must be a string (the GraphQL document); it is a number"),
        ({"query": ["{ a }"]}, "query must be a string (the GraphQL document); it is an array"),
        (
            {"query": "{ a }", "operationName": 1},
            "operationName must be a string (an operation of the query); it is a number",
        ),
        (
            {"query": "{ a }", "operationName": {"name": "A"}},
            "operationName must be a string (an operation of the query); it is an object",
        ),
        (
            {"query": "{ a }", "variables": [1]},
            'variables must be a JSON object, like {"name": value}; it is an array',
        ),
        (
            {"query": "{ a }", "variables": '{"n": 1}'},
            'variables must be a JSON object, like {"name": value}; it is a string',
        ),
        (
            {"query": "{ a }", "extensions": True},
            'extensions must be a JSON object, like {"name": value}; it is a boolean',
        ),
    ],
)
def test_a_field_of_the_wrong_type_is_refused_by_name(body: dict[str, Any], expected: str) -> None:
    assert refusal(json.dumps(body)) == expected


def test_nesting_past_the_bound_is_refused_wherever_it_is() -> None:
    expected = f"the request body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels"
    assert refusal(deep(1000)) == expected
    assert refusal('{"query": "{ a }", "variables": {"v": ' + deep(1000) + "}}") == expected
    # A document with a thousand braces is a string, not nesting: parsed, not refused.
    document = "{ a " * 1000 + "}" * 1000
    assert decode_request_json(json.dumps({"query": document}))["query"] == document


def test_text_that_is_not_json_is_refused_with_the_parsers_reason() -> None:
    assert (
        refusal("") == "the request body is not valid JSON (Input is a zero-length, empty document)"
    )
    assert refusal('{"query": "{ a }",}').startswith("the request body is not valid JSON (")
    assert refusal(b"\xff\xfe").startswith("the request body is not valid JSON (")
    assert refusal('{"query": "{ a }", "variables": {"n": NaN}}').startswith(
        "the request body is not valid JSON ("
    )


def test_a_well_formed_body_is_returned_as_sent() -> None:
    body = {"query": "query Q($n: NIK!) { a }", "operationName": "Q", "variables": {"n": NIK}}
    assert decode_request_json(json.dumps(body).encode()) == body
    assert decode_request_json('{"query": "{ a }", "variables": null, "extensions": null}')


# --- The query string of a GET ------------------------------------------------------------


def test_a_get_request_is_read_from_its_query_parameters() -> None:
    params = MultiDict(query="query($n: NIK!) { a }", variables=json.dumps({"n": NIK}))
    assert request_from_query(params) == {"query": "query($n: NIK!) { a }", "variables": {"n": NIK}}
    assert request_from_query({"query": "{ a }", "variables": "", "extensions": " "}) == {
        "query": "{ a }"
    }  # empty form fields: as if left out


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"query": "{ a }", "variables": deep(1000)},
            f"the variables parameter nests arrays and objects deeper than {MAX_JSON_DEPTH} levels",
        ),
        (
            {"query": "{ a }", "variables": "nope"},
            "the variables parameter is not valid JSON (invalid literal, expected 'null')",
        ),
        (
            {"query": "{ a }", "variables": "[1]"},
            'variables must be a JSON object, like {"name": value}; it is an array',
        ),
        (
            {"query": "{ a }", "extensions": "1"},
            'extensions must be a JSON object, like {"name": value}; it is a number',
        ),
        (
            MultiDict([("query", "{ a }"), ("query", "{ b }")]),
            "the query parameter is given 2 times",
        ),
        (
            MultiDict([("query", "{ a }"), ("variables", "{}"), ("variables", "{}")]),
            "the variables parameter is given 2 times",
        ),
    ],
)
def test_a_bad_query_parameter_is_refused_by_name(params: Any, expected: str) -> None:
    with pytest.raises(HTTPException) as caught:
        request_from_query(params)
    assert (caught.value.status_code, caught.value.reason) == (400, expected)


# --- Wired into strawberry's aiohttp view -------------------------------------------------


@strawberry.type
class Query:
    @strawberry.field
    def echo(self, text: str) -> str:
        return text


class WiredView(GraphQLView[Any, None]):
    """Strawberry's view with the two overrides the hub's view gets (see the report)."""

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        return await read_graphql_request(request)

    def decode_json(self, data: str | bytes) -> object:
        return loads(data)


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application()
    app.router.add_route("*", "/graphql", WiredView(schema=strawberry.Schema(query=Query)))
    async with TestClient(TestServer(app)) as client:
        yield client


ECHO = "query($t: String!) { echo(text: $t) }"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("null", f"{NOT_AN_OBJECT} null"),
        ("1", f"{NOT_AN_OBJECT} a number"),
        ('"x"', f"{NOT_AN_OBJECT} a string"),
        (deep(1000), "the request body nests arrays and objects deeper than 64 levels"),
        (
            json.dumps({"query": ECHO, "operationName": 7}),
            "operationName must be a string (an operation of the query); it is a number",
        ),
        ("{", "the request body is not valid JSON (unexpected end of data)"),
    ],
)
async def test_the_wired_view_answers_400_with_the_reason(
    client: TestClient[web.Request, web.Application], body: str, expected: str
) -> None:
    response = await client.post(
        "/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    assert (response.status, await response.text()) == (400, expected)


async def test_the_wired_view_still_answers_well_formed_requests(
    client: TestClient[web.Request, web.Application],
) -> None:
    body = {"query": ECHO, "variables": {"t": "hi"}}
    response = await client.post("/graphql", json=body)
    assert (response.status, await response.json()) == (200, {"data": {"echo": "hi"}})
    response = await client.get("/graphql", params={"query": ECHO, "variables": '{"t": "yo"}'})
    assert (response.status, await response.json()) == (200, {"data": {"echo": "yo"}})
    response = await client.get("/graphql", params={"query": ECHO, "variables": deep(1000)})
    assert response.status == 400
    assert await response.text() == (
        "the variables parameter nests arrays and objects deeper than 64 levels"
    )
    response = await client.post(
        "/graphql", data=json.dumps(body), headers={"Content-Type": "text/plain"}
    )
    assert response.status == 400
    assert "Content-Type: application/json" in await response.text()


async def test_a_websocket_message_nested_too_deep_closes_the_socket_cleanly(
    client: TestClient[web.Request, web.Application],
) -> None:
    ws = await client.ws_connect("/graphql", protocols=["graphql-transport-ws"])
    await ws.send_str(deep(5000))
    message = await ws.receive()
    # 4400 is graphql-transport-ws's "invalid message"; unwired, the handler dies of
    # RecursionError and the socket drops (1006).
    assert (message.data, ws.close_code) == (4400, 4400)


async def test_a_get_without_query_is_still_strawberrys_missing_query() -> None:
    class Adapter:
        method = "GET"
        query_params: ClassVar[dict[str, str]] = {}

    data = await read_graphql_request(Adapter())  # type: ignore[arg-type]
    assert data == GraphQLRequestData(None, None, None, None)


# --- The access log -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw_path", "logged"),
    [
        ("/graphql", "/graphql"),
        (f"/graphql?query=x&variables=%7B%22n%22%3A%22{NIK}%22%7D", "/graphql"),
        (f"/citizens/{NIK}/profile", "/citizens/<digits>/profile"),
        ("/healthz#frag", "/healthz"),
        ("/" + "a" * 500, "/" + "a" * 199 + "..."),
        ("", "-"),
    ],
)
def test_the_logged_path_has_no_query_string_and_no_long_numbers(
    raw_path: str, logged: str
) -> None:
    assert logged_path(raw_path) == logged


async def echo_handler(request: web.Request) -> web.Response:
    return web.Response(text="ok", headers={"X-Request-Id": "r-123"})


async def test_the_access_log_writes_the_path_and_request_id_never_the_query_string(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = web.Application()
    app.router.add_get("/graphql", echo_handler)
    secret = "Bearer eyJ-secret-token"
    server = TestServer(app)
    # Given to start_server: TestServer(app, access_log_class=...) would drop it silently.
    await server.start_server(access_log_class=HubAccessLogger)
    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        async with TestClient(server) as client:
            response = await client.get(
                "/graphql",
                params={"query": "{ citizen }", "variables": json.dumps({"n": NIK})},
                headers={"Authorization": secret, "User-Agent": f"agent {NIK}"},
            )
            assert response.status == 200
    [record] = [r for r in caplog.records if r.name == "aiohttp.access"]
    line = record.getMessage()
    assert re.fullmatch(r"GET /graphql 200 \d+B \d+\.\dms request=r-123", line), line
    assert NIK not in caplog.text and "secret" not in caplog.text and "query" not in line
    assert record.__dict__["path"] == "/graphql" and record.__dict__["status"] == 200


def test_the_hub_serves_with_the_access_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}

    async def serve(app: object, **kwargs: Any) -> None:
        served.update(app=app, **kwargs)

    monkeypatch.setattr(workers, "create_app", lambda settings, **_: "app")
    monkeypatch.setattr(workers, "serve_until_stopped", serve)
    workers.run_worker(Settings(), reuse_port=False)
    assert served["app"] == "app"
    assert served["access_log_class"] is HubAccessLogger


# --- Registered documents named by id on a websocket ---------------------------------------


def test_a_subscribe_naming_a_document_carries_its_id_where_the_query_would_be() -> None:
    digest = "ab" * 32
    for payload in (
        {"documentId": f"sha256:{digest}"},
        {"query": None, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}},
    ):
        message = document_message({"id": "1", "type": "subscribe", "payload": dict(payload)})
        assert isinstance(message, dict)
        query = message["payload"]["query"]
        assert isinstance(query, DocumentRef) and query.digest == digest
    text = {"id": "1", "type": "subscribe", "payload": {"query": "{ a }", "extensions": {}}}
    assert document_message(text) == text
    with pytest.raises(json.JSONDecodeError, match="documentId must be"):
        document_message({"id": "1", "type": "subscribe", "payload": {"documentId": "x"}})
