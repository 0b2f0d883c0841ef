"""The edges of the HTTP surface, over real HTTP on loopback: malformed requests get a
400 saying what is wrong (never a 500), tokens with impossible times get a 401, and a
NIK put in a GET URL never reaches the access log.

The 400s are strawberry's HTTPException answers; their messages are matched as
substrings, so they hold whether the view sends them as text or wrapped in JSON."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import time
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict

from hub.access_log import HubAccessLogger
from hub.app import create_app
from hub.auth.tokens import signing_keys
from hub.settings import Settings
from tests.oauth_support import claims_for, sign

CITIZEN_QUERY = "query($n: NIK!) { citizen(nik: $n) { fullName } }"
NOT_AN_OBJECT = "the request body must be a JSON object with a query"
TOO_DEEP = "nests arrays and objects deeper than 64 levels"
DEEP = "[" * 1000 + "]" * 1000


async def post_raw(
    hub_url: str, body: str, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            hub_url + "/graphql",
            data=body,
            headers={"Content-Type": "application/json", **(headers or {})},
        ) as response,
    ):
        return response.status, await response.text()


async def get(
    hub_url: str, params: Any, headers: dict[str, str] | None = None
) -> tuple[int, str, CIMultiDict[str]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(hub_url + "/graphql", params=params, headers=headers) as response,
    ):
        return response.status, await response.text(), CIMultiDict(response.headers)


# --- Malformed requests: 400 with the reason ----------------------------------------------


@pytest.mark.parametrize(
    ("body", "kind"),
    [("null", "null"), ("1", "a number"), ('"x"', "a string"), ("true", "a boolean")],
)
async def test_a_body_that_is_not_a_json_object_gets_a_400_saying_what_it_is(
    hub_url: str, partner_headers: dict[str, str], body: str, kind: str
) -> None:
    status, text = await post_raw(hub_url, body, partner_headers)
    assert status == 400
    assert NOT_AN_OBJECT in text and f"it is {kind}" in text


async def test_json_nested_a_thousand_deep_gets_a_400_not_a_crash(
    hub_url: str, partner_headers: dict[str, str]
) -> None:
    for body in (DEEP, json.dumps({"query": CITIZEN_QUERY})[:-1] + ', "variables": ' + DEEP + "}"):
        status, text = await post_raw(hub_url, body, partner_headers)
        assert status == 400 and f"the request body {TOO_DEEP}" in text
    status, text, _ = await get(
        hub_url, {"query": CITIZEN_QUERY, "variables": DEEP}, partner_headers
    )
    assert status == 400 and f"the variables parameter {TOO_DEEP}" in text


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"operationName": 1}, "operationName must be a string"),
        ({"operationName": ["A"]}, "operationName must be a string"),
        ({"variables": ["3671014107900003"]}, "variables must be a JSON object"),
        ({"extensions": "persisted"}, "extensions must be a JSON object"),
    ],
)
async def test_a_field_of_the_wrong_type_gets_a_400_naming_the_field(
    hub_url: str, partner_headers: dict[str, str], fields: dict[str, Any], named: str
) -> None:
    status, text = await post_raw(
        hub_url, json.dumps({"query": CITIZEN_QUERY, **fields}), partner_headers
    )
    assert status == 400
    assert named in text


async def test_get_parameters_are_checked_like_the_body(
    hub_url: str, partner_headers: dict[str, str]
) -> None:
    cases = [
        ({"query": CITIZEN_QUERY, "variables": "[1]"}, "variables must be a JSON object"),
        ({"query": CITIZEN_QUERY, "variables": "{nik}"}, "the variables parameter is not valid"),
        ([("query", "{ __typename }"), ("query", CITIZEN_QUERY)], "the query parameter is given"),
    ]
    for params, expected in cases:
        status, text, _ = await get(hub_url, params, partner_headers)
        assert status == 400, params
        assert expected in text, text


async def test_the_hub_keeps_answering_after_a_burst_of_malformed_requests(
    hub_url: str, partner_headers: dict[str, str], showcase_nik: str
) -> None:
    bodies = ["null", "1", '"x"', "[]", DEEP, "{", '{"query": 1}'] * 5
    answers = await asyncio.gather(*(post_raw(hub_url, b, partner_headers) for b in bodies))
    assert {status for status, _ in answers} == {400}
    body = json.dumps({"query": CITIZEN_QUERY, "variables": {"n": showcase_nik}})
    status, text = await post_raw(hub_url, body, partner_headers)
    assert status == 200
    assert json.loads(text)["data"]["citizen"]["fullName"]


# --- Tokens with impossible times: 401 invalid_token --------------------------------------


def _claims_of(headers: dict[str, str]) -> dict[str, Any]:
    payload = headers["Authorization"].split()[1].split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return claims


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"iat": math.nan}, "the iat claim must be a NumericDate"),
        ({"nbf": math.nan}, "the nbf claim must be a NumericDate"),
        ({"iat": math.inf}, "the iat claim must be a NumericDate"),
        ({"nbf": "yesterday"}, "the nbf claim must be a NumericDate"),
        ({"iat": True}, "the iat claim must be a NumericDate"),
        ({"exp": 10**20}, "the exp claim is out of range"),
        ({"exp": int(time.time()) + 10 * 365 * 86400}, "the token is valid for "),  # 10 years
        ({"iat": int(time.time()) + 3600, "nbf": None}, "the token was issued in the future"),
    ],
)
async def test_a_hub_signed_token_with_an_impossible_time_gets_a_401_not_a_500(
    hub_url: str,
    hub_settings: Settings,
    partner_headers: dict[str, str],
    showcase_nik: str,
    changes: dict[str, Any],
    expected: str,
) -> None:
    assert hub_settings.hub_dsn is not None
    pool = await asyncpg.create_pool(hub_settings.hub_dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            key = await signing_keys(hub_settings.auth).active(conn)
    finally:
        await pool.close()
    client_id = _claims_of(partner_headers)["client_id"]
    claims = claims_for(
        hub_settings.auth.issuer,
        hub_settings.auth.audience,
        time.time(),
        **{"sub": client_id, "client_id": client_id, "purpose": "qa-all", **changes},
    )
    headers = {"Authorization": f"Bearer {sign(key, claims)}", "X-Purpose": "qa-all"}
    body = json.dumps({"query": CITIZEN_QUERY, "variables": {"n": showcase_nik}})
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            hub_url + "/graphql",
            data=body,
            headers={"Content-Type": "application/json", **headers},
        ) as response,
    ):
        status, answer = response.status, await response.json()
        challenge = response.headers["WWW-Authenticate"]
    assert status == 401
    assert 'error="invalid_token"' in challenge
    assert f'error_description="{expected}' in challenge
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- The access log -------------------------------------------------------------------------


async def test_a_nik_in_a_get_url_never_reaches_the_access_log(
    hub_settings: Settings,
    partner_headers: dict[str, str],
    showcase_nik: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = TestServer(create_app(hub_settings), host="127.0.0.1")
    # As hub.workers serves it (TestServer drops an access_log_class given to its __init__).
    await server.start_server(access_log_class=HubAccessLogger)
    inline = '{ citizen(nik: "' + showcase_nik + '") { fullName } }'
    try:
        url = str(server.make_url("")).rstrip("/")
        with caplog.at_level(logging.INFO, logger="aiohttp.access"):
            status, text, headers = await get(
                url,
                {"query": CITIZEN_QUERY, "variables": json.dumps({"n": showcase_nik})},
                partner_headers,
            )
            assert status == 200 and json.loads(text)["data"]["citizen"]["fullName"]
            status, _, _ = await get(url, {"query": inline}, partner_headers)
            assert status == 200
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{url}/citizens/{showcase_nik}") as response,
            ):
                assert response.status == 404
    finally:
        await server.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert len(lines) == 3, lines
    assert lines[0].startswith("GET /graphql 200 ")
    assert f" request={headers['X-Request-Id']} operation=" in lines[0]
    assert lines[2].startswith("GET /citizens/<digits> 404 ")
    token = partner_headers["Authorization"].split()[1]
    assert showcase_nik not in caplog.text
    assert token not in caplog.text and "query" not in "\n".join(lines)
