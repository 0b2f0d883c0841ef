"""The data steward's review queue over real HTTP, and deaths in the graph, on a small
city with the realistic mess planted (mistyped NIKs, recycled phones, deaths in SIAK).

What a steward sees is a disclosure like any other read: logged, charged, refused
when the log is down. A decision taken in GraphQL survives the next identity sync.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from aiohttp.web import Application

from connectors.base import Source
from hub.app import create_app
from hub.auth import SCOPES
from hub.identity.sync import sync_databases
from hub.keys import AUDIT_SINK
from hub.settings import Settings
from tests.conftest import ScratchDatabases
from tests.e2e.conftest import citizen_headers, city_settings, grant, logged_for, realistic_city
from tests.e2e.identity_support import fetch

CITIZENS, SEED = 2000, 11
STEWARD = "identity:steward"
MAX_CITIZENS = 5  # the NIK cap of this hub: small, so that the tests can pass it

QUEUE = """query($system: SourceSystem, $nik: NIK, $first: Int) {
  identityReviewQueue(system: $system, nik: $nik, first: $first) {
    total
    items { id system sourceRecord kind value nik method status confidence via evidence decision }
  }
}"""
ITEM = """query($id: ID!) {
  identityReviewItem(id: $id) {
    item { id nik status evidence }
    recordLinks { id nik status decision }
  }
}"""
DECIDE = """mutation($id: ID!, $reason: String!) {
  %s(id: $id, reason: $reason) { id nik system sourceRecord decision }
}"""
SERVED = "query($nik: NIK!) { citizen(nik: $nik) { identifiers { system sourceRecord } } }"
DEATH = "query($nik: NIK!) { citizen(nik: $nik) { nik deceased diedOn } }"


@pytest.fixture(scope="module")
async def city(test_databases: ScratchDatabases) -> dict[Source | str, str]:
    return await realistic_city(test_databases, "steward", CITIZENS, SEED)


@pytest.fixture(scope="module")
async def hub(city: dict[Source | str, str]) -> AsyncIterator[tuple[str, Settings]]:
    settings = city_settings(city, max_citizens=MAX_CITIZENS)
    async with TestServer(create_app(settings), host="127.0.0.1") as server:
        yield str(server.make_url("")).rstrip("/"), settings


@pytest.fixture(scope="module")
async def steward(hub: tuple[str, Settings]) -> dict[str, str]:
    return await grant(hub[1], frozenset({STEWARD}), name="qa-steward", purpose="qa-steward")


async def ask(
    url: str, headers: dict[str, str], query: str, **variables: Any
) -> tuple[int, dict[str, Any], str]:
    """POST ``query``; the status, the body, and the request id the hub logged it under."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url + "/graphql", json={"query": query, "variables": variables}, headers=headers
        ) as response,
    ):
        return response.status, await response.json(), response.headers["X-Request-Id"]


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_a_steward_sees_the_queue_with_its_evidence_and_every_nik_is_logged(
    hub: tuple[str, Settings], steward: dict[str, str]
) -> None:
    url, settings = hub
    _, body, request_id = await ask(url, steward, QUEUE)
    assert "errors" not in body, body
    queue = body["data"]["identityReviewQueue"]
    items = queue["items"]
    assert queue["total"] > len(items) == MAX_CITIZENS  # the page is the NIK cap at most
    assert {i["status"] for i in items} <= {"CONFLICTED", "SUGGESTED"}
    assert all(i["decision"] is None and len(i["nik"]) == 16 for i in items)
    assert any(i["evidence"] for i in items)
    niks = sorted({i["nik"] for i in items})
    assert await logged_for(settings, request_id, niks) == set(niks)

    _, body, request_id = await ask(url, steward, ITEM, id=items[0]["id"])
    case = body["data"]["identityReviewItem"]
    assert case["item"]["id"] == items[0]["id"] and case["item"]["nik"] == items[0]["nik"]
    assert items[0]["id"] in {link["id"] for link in case["recordLinks"]}
    shown = sorted({link["nik"] for link in case["recordLinks"]})
    assert await logged_for(settings, request_id, shown) == set(shown)

    one = items[0]["nik"]
    _, body, _ = await ask(url, steward, QUEUE, nik=one, system=items[0]["system"])
    narrowed = body["data"]["identityReviewQueue"]["items"]
    assert narrowed and {i["nik"] for i in narrowed} == {one}


async def test_only_the_niks_an_answer_shows_are_logged(
    hub: tuple[str, Settings], steward: dict[str, str]
) -> None:
    """Counting the queue, or listing its ids and statuses, shows nothing of anyone: nothing
    is logged. What shows something of a person (the NIK, the identifier's value such as a
    phone, the record, the evidence) is logged under that person's NIK, selected or not; and
    asking about one NIK is logged under it, whatever is selected."""
    url, settings = hub
    _, body, _ = await ask(url, steward, QUEUE)
    items = body["data"]["identityReviewQueue"]["items"]
    niks = sorted({i["nik"] for i in items})
    blind = "{ identityReviewQueue { total items { id status confidence } } }"
    _, body, request_id = await ask(url, steward, blind)
    assert "errors" not in body, body
    assert len(body["data"]["identityReviewQueue"]["items"]) == len(items)
    assert await logged_for(settings, request_id, niks) == set()

    for selection in ("nik", "value", "evidence", "sourceRecord"):
        shown = "{ identityReviewQueue { items { " + selection + " } } }"
        _, body, request_id = await ask(url, steward, shown)
        assert await logged_for(settings, request_id, niks) == set(niks), selection

    counted = "query($n: NIK) { identityReviewQueue(nik: $n) { total } }"
    _, body, request_id = await ask(url, steward, counted, n=niks[0])
    assert body["data"]["identityReviewQueue"]["total"] >= 1
    assert await logged_for(settings, request_id, niks) == {niks[0]}


async def test_the_queue_is_bounded_by_the_nik_cap(
    hub: tuple[str, Settings], steward: dict[str, str]
) -> None:
    url, _ = hub
    _, body, _ = await ask(url, steward, QUEUE, first=MAX_CITIZENS + 1)
    assert body["data"]["identityReviewQueue"] is None
    [error] = body["errors"]
    assert error["extensions"]["rule"] == "first" and str(MAX_CITIZENS) in error["message"]
    # A NIK the queue is narrowed to is named like citizen(nik:)'s: counted in the cap.
    nik = "3671011203870004"
    aliases = " ".join(
        f'q{n}: identityReviewQueue(nik: "{nik}") {{ total }}' for n in range(MAX_CITIZENS + 1)
    )
    _, body, _ = await ask(url, steward, f"{{ {aliases} }}")
    assert _codes(body) == ["LIMIT_EXCEEDED"] and body.get("data") is None


async def test_without_the_steward_scope_the_queue_is_forbidden(
    hub: tuple[str, Settings], city: dict[Source | str, str]
) -> None:
    url, settings = hub
    partner = await grant(settings, SCOPES - {STEWARD}, name="qa-no-steward")
    _, body, _ = await ask(url, partner, QUEUE)
    assert body["data"] == {"identityReviewQueue": None}
    [error] = body["errors"]
    assert error["extensions"] == {"code": "FORBIDDEN", "scope": STEWARD}
    [link] = await fetch(
        city["hub"],
        "SELECT encode(link_key, 'hex') AS id, nik FROM identity_links"
        " WHERE status = 'SUGGESTED' ORDER BY link_key LIMIT 1",
    )
    _, body, _ = await ask(
        url, partner, DECIDE % "rejectIdentityLink", id=link["id"], reason="not mine"
    )
    assert body["data"] is None and _codes(body) == ["FORBIDDEN"]
    decided = await fetch(
        city["hub"],
        "SELECT 1 FROM identity_decisions WHERE encode(link_key, 'hex') = $1",
        link["id"],
    )
    assert decided == []  # refused before anything was written

    citizen = await citizen_headers(settings, link["nik"])
    _, body, _ = await ask(url, citizen, QUEUE, nik=link["nik"])
    assert body["data"] == {"identityReviewQueue": None}
    assert body["errors"][0]["extensions"]["reason"] == "citizen"

    status, body, _ = await ask(url, {}, QUEUE)
    assert status == 401 and _codes(body) == ["UNAUTHENTICATED"]


async def test_a_decision_taken_in_graphql_survives_the_next_sync(
    hub: tuple[str, Settings], steward: dict[str, str], city: dict[Source | str, str]
) -> None:
    url, settings = hub
    links = {
        status: (
            await fetch(
                city["hub"],
                "SELECT encode(link_key, 'hex') AS id, system, record, nik FROM identity_links"
                " WHERE status = $1 ORDER BY record LIMIT 1",
                status,
            )
        )[0]
        for status in ("SUGGESTED", "CONFLICTED")
    }
    accept, reject = links["SUGGESTED"], links["CONFLICTED"]

    def served(body: dict[str, Any]) -> set[str]:
        return {i["sourceRecord"] for i in body["data"]["citizen"]["identifiers"]}

    partner = await grant(settings, name="qa-steward-reader")
    _, before, _ = await ask(url, partner, SERVED, nik=accept["nik"])
    assert accept["record"] not in served(before)  # a suggestion is no one's yet

    _, body, request_id = await ask(
        url, steward, DECIDE % "acceptIdentityLink", id=accept["id"], reason="KTP seen"
    )
    assert "errors" not in body, body
    decided = body["data"]["acceptIdentityLink"]
    assert {d["decision"] for d in decided} == {"ACCEPTED"}
    assert accept["id"] in {d["id"] for d in decided}
    assert await logged_for(settings, request_id, [accept["nik"]]) == {accept["nik"]}
    _, body, _ = await ask(
        url, steward, DECIDE % "rejectIdentityLink", id=reject["id"], reason="a typo"
    )
    assert {d["decision"] for d in body["data"]["rejectIdentityLink"]} == {"REJECTED"}
    _, body, _ = await ask(url, steward, DECIDE % "rejectIdentityLink", id=reject["id"], reason=" ")
    [error] = body["errors"]  # a reason is required
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "rule": "reason", "field": "reason"}
    _, body, _ = await ask(url, steward, DECIDE % "acceptIdentityLink", id="zz", reason="seen")
    [error] = body["errors"]
    assert error["extensions"]["field"] == "id" and "8 or more hex digits" in error["message"]

    await sync_databases({s: city[s] for s in Source}, city["hub"])

    _, after, _ = await ask(url, partner, SERVED, nik=accept["nik"])
    assert accept["record"] in served(after)
    _, body, _ = await ask(url, steward, ITEM, id=accept["id"])
    mine = [x for x in body["data"]["identityReviewItem"]["recordLinks"] if x["id"] == accept["id"]]
    assert mine[0]["decision"] == "ACCEPTED"
    gone = await fetch(
        city["hub"], "SELECT 1 FROM identity_links WHERE encode(link_key, 'hex') = $1", reject["id"]
    )
    assert gone == []  # rejected: the sync did not bring it back
    [row] = await fetch(
        city["hub"],
        "SELECT decided_by, reason FROM identity_decisions WHERE encode(link_key, 'hex') = $1",
        accept["id"],
    )
    assert row["reason"] == "KTP seen" and row["decided_by"].startswith("client:")


async def test_the_queue_answers_nothing_while_the_log_is_down(
    city: dict[Source | str, str],
) -> None:
    settings = city_settings(city, max_citizens=MAX_CITIZENS)
    app: Application = create_app(settings)
    async with TestServer(app, host="127.0.0.1") as server:
        url = str(server.make_url("")).rstrip("/")
        headers = await grant(settings, frozenset({STEWARD}), name="qa-steward-down")
        await app[AUDIT_SINK].log.pool.close()
        _, body, _ = await ask(url, headers, QUEUE)
        assert body["data"] is None and _codes(body) == ["AUDIT_UNAVAILABLE"]


async def test_a_death_registered_in_siak_shows_on_the_citizen(
    hub: tuple[str, Settings], city: dict[Source | str, str]
) -> None:
    url, settings = hub
    [dead] = await fetch(
        city[Source.SIAK],
        "SELECT nik, tanggal_meninggal FROM kematian ORDER BY nik LIMIT 1",
    )
    [living] = await fetch(
        city[Source.SIAK],
        "SELECT nik FROM penduduk p WHERE NOT EXISTS"
        " (SELECT 1 FROM kematian m WHERE m.nik = p.nik) ORDER BY nik LIMIT 1",
    )
    partner = await grant(settings, name="qa-deaths")
    _, body, _ = await ask(url, partner, DEATH, nik=dead["nik"])
    assert body["data"]["citizen"] == {
        "nik": dead["nik"],
        "deceased": True,
        "diedOn": dead["tanggal_meninggal"].isoformat(),
    }
    _, body, _ = await ask(url, partner, DEATH, nik=living["nik"])
    assert body["data"]["citizen"]["deceased"] is False
    assert body["data"]["citizen"]["diedOn"] is None
    # A SIAK fact like the others: siak:profile.
    narrow = await grant(settings, frozenset({"siak:family"}), name="qa-deaths-narrow")
    _, body, _ = await ask(url, narrow, DEATH, nik=dead["nik"])
    assert body["data"]["citizen"]["deceased"] is None
    assert {e["extensions"].get("scope") for e in body["errors"]} == {"siak:profile"}


async def test_a_citizen_sees_its_own_death_field_but_not_a_relatives(
    hub: tuple[str, Settings], city: dict[Source | str, str]
) -> None:
    """Masking as for every SIAK fact: a relative on one's card shows its name only."""
    url, settings = hub
    [row] = await fetch(
        city[Source.SIAK],
        "SELECT a.nik AS living, m.nik AS dead FROM kematian m"
        " JOIN anggota_keluarga d ON d.nik = m.nik"
        " JOIN anggota_keluarga a ON a.no_kk = d.no_kk AND a.nik <> m.nik"
        " WHERE NOT EXISTS (SELECT 1 FROM kematian k WHERE k.nik = a.nik)"
        " ORDER BY a.nik LIMIT 1",
    )
    citizen = await citizen_headers(settings, row["living"])
    query = "{ me { id deceased family { members { citizen { id fullName deceased } } } } }"
    _, body, _ = await ask(url, citizen, query)
    me = body["data"]["me"]
    assert me["deceased"] is False
    others = [m["citizen"] for m in me["family"]["members"] if m["citizen"]["id"] != me["id"]]
    assert others and all(m["fullName"] and m["deceased"] is None for m in others)
    refused = [e for e in body["errors"] if e["path"][-1] == "deceased"]
    assert refused and {e["extensions"]["reason"] for e in refused} == {"not_own_data"}


async def test_a_certain_link_is_not_the_stewards_to_reject(
    hub: tuple[str, Settings], steward: dict[str, str], city: dict[Source | str, str]
) -> None:
    url, _ = hub
    sql = (
        "SELECT encode(link_key, 'hex') AS id FROM identity_links"
        " WHERE status = 'CERTAIN' AND method <> 'MATCHED'"
    )
    certain = (await fetch(city["hub"], sql + " ORDER BY record LIMIT 1"))[0]["id"]
    for verb in ("rejectIdentityLink", "acceptIdentityLink"):
        mutation = f'mutation {{ {verb}(id: "{certain}", reason: "try") {{ id }} }}'
        _, body, _ = await ask(url, steward, mutation)
        assert _codes(body) == ["BAD_USER_INPUT"], body
        assert "certain" in body["errors"][0]["message"]
    still = await fetch(city["hub"], sql + " AND encode(link_key, 'hex') = $1", certain)
    assert still, "a refused decision removed the link"
    decided = "SELECT 1 FROM identity_decisions WHERE encode(link_key, 'hex') = $1"
    assert not await fetch(city["hub"], decided, certain)


async def test_a_ticket_accepted_for_one_citizen_is_refused_for_another(
    hub: tuple[str, Settings], steward: dict[str, str], city: dict[Source | str, str]
) -> None:
    [case] = await fetch(
        city["hub"],
        "SELECT array_agg(encode(link_key, 'hex') ORDER BY link_key) AS ids FROM identity_links"
        " WHERE kind = 'QUEUE_TICKET' AND status = 'SUGGESTED' GROUP BY record"
        " HAVING count(DISTINCT nik) >= 2 ORDER BY record DESC LIMIT 1",
    )
    first, second = case["ids"][:2]
    url, _ = hub
    _, body, _ = await ask(url, steward, DECIDE % "acceptIdentityLink", id=first, reason="KTP")
    assert "errors" not in body, body
    _, body, _ = await ask(url, steward, DECIDE % "acceptIdentityLink", id=second, reason="KTP")
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "rule": "review_link", "field": "id"}
    assert "already served to another citizen" in error["message"]
    assert "reject it first" in error["message"]


async def test_a_walk_in_a_steward_accepted_shows_in_the_citizens_own_tickets(
    hub: tuple[str, Settings], steward: dict[str, str], city: dict[Source | str, str]
) -> None:
    # A match in doubt (0.5 where two people give the phone) is not the citizen's until a
    # steward accepts it; then it is, as docs/partners.md promises, in their own view too.
    [case] = await fetch(
        city["hub"],
        "SELECT encode(link_key, 'hex') AS id, nik, value FROM identity_links"
        " WHERE kind = 'QUEUE_TICKET' AND method = 'MATCHED' AND status = 'SUGGESTED'"
        " AND in_register ORDER BY record LIMIT 1",
    )
    url, settings = hub
    citizen = await citizen_headers(settings, case["nik"])
    mine = "{ me { queueTickets { id link matchConfidence } } }"
    _, body, _ = await ask(url, citizen, mine)
    assert "errors" not in body, body
    assert case["value"] not in {t["id"] for t in body["data"]["me"]["queueTickets"]}

    _, body, _ = await ask(url, steward, DECIDE % "acceptIdentityLink", id=case["id"], reason="KTP")
    assert "errors" not in body, body
    _, body, _ = await ask(url, citizen, mine)
    assert "errors" not in body, body
    [shown] = [t for t in body["data"]["me"]["queueTickets"] if t["id"] == case["value"]]
    assert shown["link"] == "MATCHED" and shown["matchConfidence"] < 1
