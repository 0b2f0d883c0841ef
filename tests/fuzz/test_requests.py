"""Broken and hostile HTTP requests: bodies, content types, methods, headers and tokens.

Every one gets a clean answer (tests.fuzz.checks): most a 4xx naming what is wrong,
a few the data they asked for; and the hub answers ordinary queries afterwards.
"""

from __future__ import annotations

import io
import json

import aiohttp
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.checks import problems, tally
from tests.fuzz.conftest import Target, cases, still_answers
from tests.fuzz.hostile import CONTENT_TYPES, HEADER_TEXT, Body, authorizations, bodies, json_values

QUERY = "query($n: NIK!) { citizen(nik: $n) { nik fullName family { members { nik } } } }"
# Headers a client may send that the hub, aiohttp or a proxy reads.
HEADER_NAMES = st.sampled_from(
    [
        "X-Purpose",
        "X-Request-Id",
        "Accept",
        "Accept-Encoding",
        "Content-Encoding",
        "Origin",
        "Cookie",
        "X-Forwarded-For",
        "Forwarded",
        "Access-Control-Request-Method",
        "If-None-Match",
        "Range",
        "Expect",
        "Upgrade",
        "Sec-WebSocket-Protocol",
    ]
)


@cases(500)
@given(
    body=bodies(),
    content_type=CONTENT_TYPES,
    method=st.sampled_from(["POST", "POST", "POST", "PUT", "PATCH", "DELETE", "GET"]),
    extra=st.dictionaries(HEADER_NAMES, HEADER_TEXT, max_size=3),
)
async def test_broken_bodies_get_a_clean_refusal(
    body: Body,
    content_type: str,
    method: str,
    extra: dict[str, str],
    http: aiohttp.ClientSession,
    reads: Target,
) -> None:
    headers = {**reads.partner, **extra, "Content-Type": content_type}
    # A stream: aiohttp warns that a large body in bytes would block its loop.
    data = io.BytesIO(body.data)
    async with http.request(method, reads.url + "/graphql", data=data, headers=headers) as response:
        status, text = response.status, await response.text(errors="replace")
    tally("body", status)
    assert problems(status, text) == [], (method, body, headers, status, text[:2000])


@cases(400)
@given(data=st.data(), purpose=st.one_of(st.none(), HEADER_TEXT), twice=st.booleans())
async def test_forged_and_malformed_tokens_are_refused_without_data(
    data: st.DataObject,
    purpose: str | None,
    twice: bool,
    http: aiohttp.ClientSession,
    reads: Target,
) -> None:
    authorization = data.draw(authorizations(reads.forged), label="authorization")
    headers = [("Authorization", authorization)]
    if twice:  # a second Authorization header: the hub must not pick the valid one
        headers.append(("Authorization", reads.partner["Authorization"]))
    if purpose is not None:
        headers.append(("X-Purpose", purpose))
    nik = data.draw(st.sampled_from(reads.niks), label="nik")
    body = {"query": QUERY, "variables": {"n": nik}}
    async with http.post(reads.url + "/graphql", json=body, headers=headers) as response:
        status, text = response.status, await response.text(errors="replace")
    tally("token", status)
    assert problems(status, text) == [], (headers, status, text[:2000])
    assert nik not in text, (headers, status)  # a refused token is shown no one


@cases(250)
@given(
    params=st.dictionaries(
        st.sampled_from(["query", "variables", "operationName", "extensions", "x"]),
        st.one_of(st.text(max_size=80), json_values(5).map(json.dumps)),
        max_size=4,
    ),
    repeat=st.booleans(),
)
async def test_get_requests_with_random_parameters_get_a_clean_answer(
    params: dict[str, str],
    repeat: bool,
    http: aiohttp.ClientSession,
    reads: Target,
) -> None:
    query = list(params.items()) * (2 if repeat else 1)
    headers = {**reads.partner, "Accept": "application/json"}
    async with http.get(reads.url + "/graphql", params=query, headers=headers) as response:
        status, text = response.status, await response.text(errors="replace")
    tally("get", status)
    assert problems(status, text) == [], (query, status, text[:2000])


async def test_the_hub_still_answers_after_the_broken_requests(
    http: aiohttp.ClientSession, reads: Target
) -> None:
    await still_answers(http, reads)
