"""GraphQL over HTTP beyond the audit: application/graphql-response+json when the client asks
for it, application/json as before for everyone else, 405 for a mutation sent with GET."""

from __future__ import annotations

from typing import Any

import aiohttp

from hub.settings import Settings
from tests.e2e.conftest import grant

NEW = "application/graphql-response+json"
APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9"
CITIZEN = "query($n: NIK!) { citizen(nik: $n) { fullName religion } }"


async def post(
    url: str, body: dict[str, Any], accept: str | None, headers: dict[str, str] | None = None
) -> tuple[int, str, dict[str, Any], str | None]:
    sent = dict(headers or {})
    if accept is not None:
        sent["Accept"] = accept
    async with (
        aiohttp.ClientSession() as session,
        session.post(url + "/graphql", json=body, headers=sent) as r,
    ):
        return (
            r.status,
            r.content_type,
            await r.json(content_type=None),
            r.headers.get("WWW-Authenticate"),
        )


async def test_a_client_asking_for_the_new_type_gets_it_with_its_answer(
    hub_url: str, partner_headers: dict[str, str], showcase_nik: str
) -> None:
    status, kind, body, _ = await post(
        hub_url,
        {"query": CITIZEN, "variables": {"n": showcase_nik}},
        APOLLO_ACCEPT,
        partner_headers,
    )
    assert (status, kind) == (200, NEW)
    assert body["data"]["citizen"]["fullName"]


async def test_a_document_that_does_not_parse_is_400_without_data_only_in_the_new_type(
    hub_url: str,
) -> None:
    status, kind, body, _ = await post(hub_url, {"query": "{ serviceCentres {"}, NEW)
    assert (status, kind) == (400, NEW)
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    for accept in (None, "*/*", "application/json"):
        status, kind, body, _ = await post(hub_url, {"query": "{ serviceCentres {"}, accept)
        assert (status, kind, body["data"]) == (200, "application/json", None)


async def test_variables_that_do_not_coerce_are_400_in_the_new_type(
    hub_url: str, partner_headers: dict[str, str]
) -> None:
    # Signed in, so the refusal can only be the coercion's (anonymous would be a 401 first).
    body = {"query": CITIZEN, "variables": {"n": {"not": "a NIK"}}}
    status, kind, answer, _ = await post(hub_url, body, NEW, partner_headers)
    assert (status, kind) == (400, NEW), answer
    assert "data" not in answer
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", answer


async def test_an_anonymous_caller_asking_for_a_citizen_is_401_without_data(
    hub_url: str, showcase_nik: str
) -> None:
    body = {"query": CITIZEN, "variables": {"n": showcase_nik}}
    status, kind, answer, challenge = await post(hub_url, body, NEW)
    assert (status, kind) == (401, NEW)
    assert challenge is not None and challenge.startswith("Bearer")
    assert "data" not in answer
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_field_refused_by_scope_still_answers_200_with_the_rest(
    hub_url: str, hub_settings: Settings, showcase_nik: str
) -> None:
    profile_only = await grant(
        hub_settings, frozenset({"siak:profile"}), name="media-type-profile", purpose="profile"
    )
    query = "query($n: NIK!) { citizen(nik: $n) { fullName employment { nip } } }"
    status, kind, answer, _ = await post(
        hub_url, {"query": query, "variables": {"n": showcase_nik}}, NEW, profile_only
    )
    assert (status, kind) == (200, NEW)
    assert answer["data"]["citizen"]["fullName"]
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_mutation_sent_with_get_is_405_and_names_post(hub_url: str) -> None:
    mutation = 'mutation { cancelQueueTicket(ticketId: "1") { id } }'
    async with (
        aiohttp.ClientSession() as session,
        session.get(hub_url + "/graphql", params={"query": mutation}) as r,
    ):
        assert r.status == 405
        assert r.headers["Allow"] == "POST"
        assert "POST" in await r.text()
