"""A product record whose link to the NIK typed on it is in doubt is not served as that
citizen's, over real HTTP, on a small city with the realistic mess planted (a parent's
NIK in a child's application, one-digit typos, family card numbers typed as NIKs).

The products find a citizen's rows by the NIK typed on them; the crosswalk knows which
of those are in doubt (CONFLICTED or SUGGESTED and not accepted, or rejected by a
steward). A record the crosswalk does not know yet is still served; one a steward
accepted for another citizen is served as theirs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from connectors.base import Source
from connectors.crosswalk.review import ACCEPTED, REJECTED, decide
from hub.app import create_app
from hub.identity.sync import sync_databases
from identity.evidence import FAMILY_MEMBER, KK_NUMBER
from schema.scopes import FAMILY, IDENTITY
from tests.conftest import ScratchDatabases
from tests.e2e.conftest import citizen_headers, city_settings, grant, realistic_city
from tests.e2e.identity_support import fetch
from tests.e2e.test_websocket import Socket

CITIZENS, SEED = 10_000, 42

# An application typed with a NIK its holder's name and birth year disagree with, which
# the crosswalk suggests is another citizen's (a parent's NIK in a child's field).
TYPED_AND_SUGGESTED = """
SELECT encode(c.link_key, 'hex') AS id, c.nik, c.record, c.value,
       encode(s.link_key, 'hex') AS other_id, s.nik AS other_nik
  FROM identity_links c
  JOIN identity_links s ON s.system = c.system AND s.record = c.record AND s.kind = c.kind
   AND s.nik <> c.nik AND s.status = 'SUGGESTED' AND s.in_register
 WHERE c.system = 'psb' AND c.kind = 'PSB_REGISTRATION' AND c.status = 'CONFLICTED'
   AND c.method = 'EXACT' AND c.in_register
 ORDER BY c.link_key
"""
CERTAIN = """
SELECT l.nik, l.value FROM identity_links l
 WHERE l.system = 'psb' AND l.kind = 'PSB_REGISTRATION' AND l.status = 'CERTAIN'
   AND l.in_register AND l.method = 'EXACT'
   AND NOT EXISTS (SELECT 1 FROM identity_links o WHERE o.nik = l.nik AND o.status <> 'CERTAIN')
 ORDER BY l.link_key LIMIT 1
"""
# A certain link of a product's record to the NIK typed on it, of a citizen whose other
# links are all certain; and the test's own edit of its status.
CERTAIN_IN = """
SELECT l.nik, l.record FROM identity_links l
 WHERE l.system = $1 AND l.status = 'CERTAIN' AND l.in_register AND l.method = 'EXACT'
   AND NOT EXISTS (SELECT 1 FROM identity_links o WHERE o.nik = l.nik AND o.status <> 'CERTAIN')
 ORDER BY l.link_key LIMIT 20
"""
MARK = "UPDATE identity_links SET status = $3 WHERE nik = $1 AND record = $2"
CLEAN = "regexp_replace({}, '[^0-9]', '', 'g') = $1"

# Per product field: its source, the rows typed with a NIK as the crosswalk names them
# (record) and as the graph shows them (shown), the selection, and what it shows.
FIELDS: dict[str, tuple[Source, str, str, Callable[[dict[str, Any]], str]]] = {
    "schoolAdmissions": (
        Source.PSB,
        "SELECT 'pendaftar:' || no_pendaftaran AS record, no_pendaftaran AS shown"
        " FROM pendaftar WHERE " + CLEAN.format("nik"),
        "schoolAdmissions { registrationNumber }",
        lambda r: r["registrationNumber"],
    ),
    "civilServiceApplications": (
        Source.CPNS,
        "SELECT 'pelamar:' || nomor_peserta AS record, nomor_peserta AS shown"
        " FROM pelamar WHERE " + CLEAN.format("nik"),
        "civilServiceApplications { registrationNumber }",
        lambda r: r["registrationNumber"],
    ),
    "employment": (
        Source.SIKDA,
        "SELECT 'pegawai:' || nip AS record, nip AS shown FROM pegawai WHERE "
        + CLEAN.format("nik"),
        "employment { nip }",
        lambda r: r["nip"],
    ),
    "procurementRoles": (
        Source.LPSE,
        "SELECT 'pengurus:' || g.id_pengurus AS record,"
        " regexp_replace(p.npwp, '[^0-9]', '', 'g') AS shown"
        " FROM pengurus g JOIN penyedia p ON p.id_penyedia = g.id_penyedia"
        " WHERE " + CLEAN.format("g.nik"),
        "procurementRoles { vendor { npwp } }",
        lambda r: r["vendor"]["npwp"],
    ),
    "districtRequests": (
        Source.APK,
        "SELECT 'permohonan:' || nomor_permohonan AS record, nomor_permohonan AS shown"
        " FROM permohonan WHERE " + CLEAN.format("nik_pemohon"),
        "districtRequests { number }",
        lambda r: r["number"],
    ),
    "queueTickets": (
        Source.ANTRIAN,
        "SELECT 'tiket:' || id_tiket AS record, id_tiket::text AS shown FROM tiket"
        " WHERE nik IS NOT NULL AND " + CLEAN.format("nik"),
        "queueTickets { id }",
        lambda r: r["id"],
    ),
}


@pytest.fixture(scope="module")
async def city(test_databases: ScratchDatabases) -> dict[Source | str, str]:
    return await realistic_city(test_databases, "doubts", CITIZENS, SEED)


@pytest.fixture(scope="module")
async def ask(
    city: dict[Source | str, str],
) -> AsyncIterator[Callable[[str, str], Any]]:
    """``ask(nik, selection)``: the citizen as a partner holding every scope sees it."""
    settings = city_settings(city)
    async with TestServer(create_app(settings), host="127.0.0.1") as server:
        url = str(server.make_url("/graphql"))
        headers = await grant(settings, name="qa-doubts")
        async with aiohttp.ClientSession(headers=headers) as session:

            async def citizen(nik: str, selection: str) -> dict[str, Any]:
                query = "query($nik: NIK!) { citizen(nik: $nik) { " + selection + " } }"
                async with session.post(url, json={"query": query, "variables": {"nik": nik}}) as r:
                    body: dict[str, Any] = await r.json()
                assert "errors" not in body, body["errors"]
                found: dict[str, Any] = body["data"]["citizen"]
                assert found is not None
                return found

            yield citizen


async def _admissions(ask: Callable[[str, str], Any], nik: str) -> list[str]:
    found = await ask(nik, "schoolAdmissions { registrationNumber }")
    return [a["registrationNumber"] for a in found["schoolAdmissions"]]


async def test_an_admission_typed_with_a_parents_nik_is_the_childs_once_accepted(
    city: dict[Source | str, str], ask: Callable[[str, str], Any]
) -> None:
    doubtful = await fetch(city["hub"], TYPED_AND_SUGGESTED)
    assert doubtful, "the realistic city plants parents' NIKs in children's applications"
    link = doubtful[0]
    nik, number, other = link["nik"], link["value"], link["other_nik"]
    typed = await fetch(city[Source.PSB], FIELDS["schoolAdmissions"][1], nik)
    assert number in {r["shown"] for r in typed}  # the product finds it by that NIK

    # An application made after the last sync, typed with the same NIK: the crosswalk
    # knows nothing of it, nothing says it is someone else's.
    await fetch(
        city[Source.PSB],
        "INSERT INTO pendaftar (id, no_pendaftaran, nik, nama, jenjang, jalur, status_seleksi,"
        " tahun_ajaran, tgl_daftar, no_kk)"
        " SELECT (SELECT max(id) + 1 FROM pendaftar), 'QA-NEW-000001', nik, nama, jenjang,"
        " jalur, status_seleksi, tahun_ajaran, tgl_daftar, no_kk"
        " FROM pendaftar WHERE no_pendaftaran = $1",
        number,
    )
    shown = await _admissions(ask, nik)
    assert number not in shown
    assert "QA-NEW-000001" in shown
    assert number not in await _admissions(ask, other)  # not typed with theirs either

    # A steward rejects the link: the record is still not this citizen's, after the
    # next sync too (the link is gone; the decision names the record).
    conn = await asyncpg.connect(city["hub"])
    try:
        decided = await decide(conn, link["id"], REJECTED, "qa: the child's", "qa")
    finally:
        await conn.close()
    assert {d.record for d in decided} == {link["record"]}
    assert number not in await _admissions(ask, nik)
    await sync_databases({s: city[s] for s in Source}, city["hub"])
    assert number not in await _admissions(ask, nik)

    # The steward accepts the suggested citizen: the application is theirs, read by its
    # number, and still not the typed NIK's.
    conn = await asyncpg.connect(city["hub"])
    try:
        await decide(conn, link["other_id"], ACCEPTED, "qa: the child's", "qa")
    finally:
        await conn.close()
    assert number in await _admissions(ask, other)
    assert number not in await _admissions(ask, nik)


async def test_a_certain_admission_is_served(
    city: dict[Source | str, str], ask: Callable[[str, str], Any]
) -> None:
    [certain] = await fetch(city["hub"], CERTAIN)
    assert certain["value"] in await _admissions(ask, certain["nik"])


@pytest.mark.parametrize("field", list(FIELDS))
async def test_each_product_leaves_out_a_record_in_doubt_and_serves_the_rest(
    city: dict[Source | str, str], ask: Callable[[str, str], Any], field: str
) -> None:
    """Every product names its rows as the crosswalk does: a record whose link turns
    CONFLICTED (as a sync finding the name disagree would make it) leaves that field,
    the citizen's other records stay."""
    _, _, selection, shown_of = FIELDS[field]
    link, typed = await _certain_typed(city, field)
    nik = link["nik"]
    assert typed[link["record"]] in _shown(await ask(nik, selection), field, shown_of)

    await fetch(city["hub"], MARK, nik, link["record"], "CONFLICTED")
    try:
        shown = _shown(await ask(nik, selection), field, shown_of)
    finally:
        await fetch(city["hub"], MARK, nik, link["record"], "CERTAIN")
    assert typed[link["record"]] not in shown
    assert {s for r, s in typed.items() if r != link["record"]} <= shown


async def _certain_typed(city: dict[Source | str, str], field: str) -> tuple[Any, dict[str, str]]:
    """A certain link of one of ``field``'s records to the NIK typed on it, and every row
    typed with that NIK (record -> as shown)."""
    source, typed_sql, _, _ = FIELDS[field]
    for link in await fetch(city["hub"], CERTAIN_IN, source.value):
        typed = {r["record"]: r["shown"] for r in await fetch(city[source], typed_sql, link["nik"])}
        if link["record"] in typed:
            return link, typed
    raise AssertionError(f"no {source.value} record is linked to the NIK typed on it")


def _shown(
    found: dict[str, Any], field: str, shown_of: Callable[[dict[str, Any]], str]
) -> set[str]:
    rows = found[field]
    return {shown_of(r) for r in (rows if isinstance(rows, list) else [rows] if rows else [])}


# Per field: the subscription following one record, its root field and the key it shows.
FOLLOW = {
    "districtRequests": (
        "subscription($n: String!) { districtRequest(number: $n) { number } }",
        "districtRequest",
        "number",
    ),
    "queueTickets": (
        "subscription($n: ID!) { queueTicket(ticketId: $n) { id } }",
        "queueTicket",
        "id",
    ),
}
CANCEL = "mutation($t: ID!) { cancelQueueTicket(ticketId: $t) { id status } }"


@pytest.mark.parametrize("field", list(FOLLOW))
async def test_a_record_in_doubt_is_not_followed_nor_cancelled_as_the_typed_citizens(
    city: dict[Source | str, str], field: str
) -> None:
    """The subscriptions and the cancellation find a record by its number and decide by
    the NIK typed on it: they must leave out what the field leaves out."""
    link, typed = await _certain_typed(city, field)
    nik, number = link["nik"], typed[link["record"]]
    settings = city_settings(city)
    async with (
        TestServer(create_app(settings), host="127.0.0.1") as server,
        aiohttp.ClientSession() as session,
    ):
        url = str(server.make_url("/graphql"))
        headers = await citizen_headers(settings, nik)  # the hub's signing key is made at start

        async def follow() -> dict[str, Any]:
            async with session.ws_connect(url, protocols=["graphql-transport-ws"]) as ws:
                socket = Socket(ws)
                assert (await socket.init(headers))["type"] == "connection_ack"
                return await socket.run(FOLLOW[field][0], n=number)

        # The citizen's own: followed (an error frame or a closed socket is not).
        _, root, key = FOLLOW[field]
        followed = await follow()
        assert followed.get("data") == {root: {key: number}}, followed
        await fetch(city["hub"], MARK, nik, link["record"], "CONFLICTED")
        try:
            refused = await follow()
            async with session.post(
                url, json={"query": CANCEL, "variables": {"t": number}}, headers=headers
            ) as r:
                cancelled = await r.json()
        finally:
            await fetch(city["hub"], MARK, nik, link["record"], "CERTAIN")
    assert refused.get("closed") == 4403 or not (refused.get("data") or {}).values(), refused
    if field == "queueTickets":
        assert cancelled["data"] is None
        assert cancelled["errors"][0]["extensions"]["reason"] == "not_own_data", cancelled


RESOLVE = """query($id: String!) {
  resolveIdentity(system: PSB, identifier: $id) {
    candidates { nik status evidence records { sourceRecord status evidence } }
  }
}"""
ON_THE_TYPED_CARD = """
SELECT value, nik FROM identity_links
 WHERE system = 'psb' AND kind = 'PSB_REGISTRATION' AND status = 'SUGGESTED' AND evidence = $1
 ORDER BY value LIMIT 1
"""


@pytest.mark.parametrize("rule", [FAMILY_MEMBER, KK_NUMBER])
async def test_a_member_found_on_the_typed_card_is_resolved_only_with_siak_family(
    rule: str, city: dict[Source | str, str]
) -> None:
    """A child's application typed with a parent's NIK (or the card's number): the child
    is found only through that card. Without siak:family neither the child nor a
    sentence only that rule says is shown; the typed NIK's holder, in conflict, is."""
    [case] = await fetch(city["hub"], ON_THE_TYPED_CARD, rule)
    settings = city_settings(city)
    async with (
        TestServer(create_app(settings), host="127.0.0.1") as server,
        aiohttp.ClientSession() as session,
    ):
        url = str(server.make_url("/graphql"))

        async def resolve(scopes: frozenset[str], name: str) -> list[dict[str, Any]]:
            headers = await grant(settings, scopes, name=name)
            query = {"query": RESOLVE, "variables": {"id": case["value"]}}
            async with session.post(url, json=query, headers=headers) as r:
                body: dict[str, Any] = await r.json()
            assert "errors" not in body, body["errors"]
            found: list[dict[str, Any]] = body["data"]["resolveIdentity"]["candidates"]
            return found

        with_family = await resolve(frozenset({IDENTITY, FAMILY}), "qa-resolve-family")
        assert case["nik"] in {c["nik"] for c in with_family}
        assert rule in str(with_family)  # the sentence only that rule says
        shown = await resolve(frozenset({IDENTITY}), "qa-resolve-only")
    assert shown and case["nik"] not in {c["nik"] for c in shown}
    assert rule not in str(shown) and "family" not in str(shown)


# A NIK typed on a product record that the crosswalk holds in doubt, beside the NIK it
# suggests (a typo, a parent's, a card number typed as a NIK).
TYPED_NIK_IN_DOUBT = """
SELECT s.system, s.value, s.nik AS suggested FROM identity_links s
 WHERE s.kind = 'NIK' AND s.status = 'SUGGESTED' AND s.value <> s.nik
 ORDER BY s.link_key LIMIT 1
"""
RESOLVE_TYPED = """query($system: SourceSystem!, $id: String!) {
  resolveIdentity(system: $system, identifier: $id) { candidates { nik status } }
}"""


async def test_a_nik_typed_in_doubt_is_not_resolved_as_certain_to_itself(
    city: dict[Source | str, str],
) -> None:
    """resolveIdentity of a product's NIK asks the crosswalk: a mistyped NIK is not answered
    'CERTAIN: itself' while the links say it is in doubt and suggest another."""
    [typed] = await fetch(city["hub"], TYPED_NIK_IN_DOUBT)
    settings = city_settings(city)
    async with TestServer(create_app(settings), host="127.0.0.1") as server:
        headers = await grant(settings, name="qa-resolve-typed")
        async with aiohttp.ClientSession(headers=headers) as session:
            variables = {"system": typed["system"].upper(), "id": typed["value"]}
            async with session.post(
                str(server.make_url("/graphql")),
                json={"query": RESOLVE_TYPED, "variables": variables},
            ) as r:
                body = await r.json()
    assert "errors" not in body, body["errors"]
    candidates = {c["nik"]: c["status"] for c in body["data"]["resolveIdentity"]["candidates"]}
    assert candidates.get(typed["suggested"]) == "SUGGESTED", candidates
    assert candidates.get(typed["value"]) != "CERTAIN", candidates
