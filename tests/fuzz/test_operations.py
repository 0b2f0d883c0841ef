"""Operations generated from the hub's schema, sent over HTTP by every kind of caller.

Valid operations (hypothesis-graphql's positive mode) reach the access decision,
the loaders and the disclosure log with real NIKs of the test city; invalid ones
(one schema violation each) test the refusals. Either way the answer is data or a
clean refusal (tests.fuzz.checks), and the hub still answers afterwards.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.checks import problems, tally
from tests.fuzz.conftest import Target, cases, still_answers
from tests.fuzz.hostile import HEADER_TEXT, authorizations
from tests.fuzz.operations import operations

CALLERS = ("anonymous", "partner", "citizen", "forged", "partner declaring any purpose")


def caller_headers(draw: st.DrawFn, target: Target) -> dict[str, str]:
    caller = draw(st.sampled_from(CALLERS), label="caller")
    partner = target.partner
    if caller == "partner":
        return dict(partner)
    if caller == "citizen":
        return dict(target.citizen)
    if caller == "forged":
        forged = draw(authorizations(target.forged), label="authorization")
        return {"Authorization": forged, "X-Purpose": partner["X-Purpose"]}
    if caller == "anonymous":
        return {}
    return {"Authorization": partner["Authorization"], "X-Purpose": draw(HEADER_TEXT)}


async def send(
    session: aiohttp.ClientSession, url: str, body: dict[str, Any], headers: dict[str, str]
) -> tuple[int, str]:
    async with session.post(url + "/graphql", json=body, headers=headers) as response:
        return response.status, await response.text()


async def one_case(
    data: st.DataObject, negative: bool, http: aiohttp.ClientSession, target: Target, kind: str
) -> None:
    """A generated operation of ``kind`` from a drawn caller: data or a clean refusal."""
    body = data.draw(operations(target.niks, kind, negative), label="body")
    headers = caller_headers(data.draw, target)
    status, text = await send(http, target.url, body, headers)
    tally(kind, status)
    assert problems(status, text) == [], (body, headers, status, text[:2000])


@cases(600)
@given(data=st.data(), negative=st.booleans())
async def test_generated_queries_get_data_or_a_clean_refusal(
    data: st.DataObject, negative: bool, http: aiohttp.ClientSession, reads: Target
) -> None:
    await one_case(data, negative, http, reads, "query")


@cases(250)
@given(data=st.data(), negative=st.booleans())
async def test_generated_mutations_get_a_result_or_a_clean_refusal(
    data: st.DataObject, negative: bool, http: aiohttp.ClientSession, writes: Target
) -> None:
    await one_case(data, negative, http, writes, "mutation")


async def test_the_hubs_still_answer_ordinary_queries_after_the_fuzz(
    http: aiohttp.ClientSession, reads: Target, writes: Target
) -> None:
    # Runs after the generated cases in this module (file order): the same hubs.
    await still_answers(http, reads)
    async with http.post(
        writes.url + "/graphql", json={"query": "{ serviceCentres { name } }"}
    ) as response:
        assert response.status == 200
        assert (await response.json())["data"]["serviceCentres"]
