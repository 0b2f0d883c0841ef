"""The identity crosswalk over HTTP: identifiers and their provenance, tickets, resolveIdentity."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base import Source
from connectors.seeding import SeedReport
from tests.e2e.conftest import GraphQLClient
from tests.e2e.identity_support import fetch

HEAD = """
query($nik: NIK!) {
  citizen(nik: $nik) {
    employment { nip }
    identifiers { kind value system sourceRecord method confidence via linkedAt lastSeen }
    queueTickets { id channel link matchConfidence }
  }
}
"""
RESOLVE = """
query($system: SourceSystem!, $id: String!) {
  resolveIdentity(system: $system, identifier: $id) {
    identifier system kind value
    candidates { nik method confidence via sourceRecords citizen { nik fullName } }
  }
}
"""


@pytest.fixture
async def head(gql: GraphQLClient, showcase_nik: str) -> dict[str, Any]:
    body = await gql.post(HEAD, nik=showcase_nik)
    assert "errors" not in body, body["errors"]
    assert "HUB" in body["extensions"]["sources"]
    citizen: dict[str, Any] = body["data"]["citizen"]
    return citizen


async def test_identifiers_come_with_where_and_how_they_were_linked(head: dict[str, Any]) -> None:
    nip = head["employment"]["nip"]
    found = {(i["kind"], i["system"], i["method"]) for i in head["identifiers"]}
    assert {("NIP", "SIKDA", "EXACT"), ("NIP", "SIPBD", "DERIVED")} <= found
    assert {("PHONE", "SIKDA", "EXACT"), ("QUEUE_TICKET", "ANTRIAN", "MATCHED")} <= found
    sikda = next(i for i in head["identifiers"] if i["kind"] == "NIP" and i["system"] == "SIKDA")
    assert (sikda["value"], sikda["sourceRecord"], sikda["confidence"]) == (
        nip,
        f"pegawai:{nip}",
        1.0,
    )
    assets = [i for i in head["identifiers"] if i["system"] == "SIPBD"]
    assert all(i["value"] == nip and i["via"] == "SIKDA NIP" for i in assets)
    assert all(i["sourceRecord"].startswith("barang:") and i["confidence"] < 1 for i in assets)
    assert all(i["linkedAt"] and i["lastSeen"] for i in head["identifiers"])


async def test_a_walk_in_ticket_shows_on_the_citizen_it_matches_marked_matched(
    head: dict[str, Any],
) -> None:
    tickets = head["queueTickets"]
    matched = [t for t in tickets if t["link"] == "MATCHED"]
    assert matched and all(t["channel"] == "WALK_IN" and t["matchConfidence"] < 1 for t in matched)
    exact = [t for t in tickets if t["link"] == "EXACT"]
    assert exact and all(t["matchConfidence"] == 1.0 for t in exact)
    linked = {i["value"] for i in head["identifiers"] if i["kind"] == "QUEUE_TICKET"}
    assert {t["id"] for t in matched} <= linked


async def test_a_nip_sipbd_holds_resolves_to_its_holder_through_sikda(
    gql: GraphQLClient, head: dict[str, Any], showcase_nik: str
) -> None:
    nip = head["employment"]["nip"]
    printed = f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"
    body = await gql.post(RESOLVE, system="SIPBD", id=printed)
    assert "errors" not in body, body["errors"]
    match = body["data"]["resolveIdentity"]
    assert (match["identifier"], match["kind"], match["value"]) == (printed, "NIP", nip)
    (candidate,) = match["candidates"]
    assert candidate["nik"] == candidate["citizen"]["nik"] == showcase_nik
    assert (candidate["method"], candidate["via"]) == ("DERIVED", "SIKDA NIP")
    assert all(r.startswith("barang:") for r in candidate["sourceRecords"])


async def test_a_phone_two_citizens_give_resolves_to_both(
    gql: GraphQLClient, city_dsns: dict[Source | str, str]
) -> None:
    (row,) = await fetch(
        city_dsns["hub"],
        # A phone only walk-ins gave Antrian, two citizens elsewhere (the seed makes some).
        "SELECT value FROM identity_links WHERE system = 'antrian' AND kind = 'PHONE'"
        " GROUP BY value HAVING count(DISTINCT nik) = 2 AND bool_and(method = 'MATCHED')"
        # Both give the phone themselves (not a minor on a giver's family card).
        " AND bool_and(evidence LIKE 'walk-in by phone: gives the phone (%')"
        " ORDER BY value LIMIT 1",
    )
    phone = row["value"]
    typed = f"+62 {phone[1:4]}-{phone[4:8]}-{phone[8:]}"
    body = await gql.post(RESOLVE, system="ANTRIAN", id=typed)
    assert "errors" not in body, body["errors"]
    match = body["data"]["resolveIdentity"]
    assert (match["kind"], match["value"]) == ("PHONE", phone)
    candidates = match["candidates"]
    assert len(candidates) == 2
    assert all(c["method"] == "MATCHED" and c["confidence"] < 0.8 for c in candidates)
    assert all(c["citizen"]["nik"] == c["nik"] for c in candidates)


async def test_an_applicant_from_outside_the_city_resolves_to_a_nik_but_no_citizen(
    gql: GraphQLClient, city_dsns: dict[Source | str, str]
) -> None:
    register = {r["nik"] for r in await fetch(city_dsns[Source.SIAK], "SELECT nik FROM penduduk")}
    applicants = await fetch(
        city_dsns[Source.CPNS],
        "SELECT nomor_peserta, regexp_replace(nik, '[^0-9]', '', 'g') AS nik FROM pelamar",
    )
    outsider = next(a for a in applicants if a["nik"] not in register)
    body = await gql.post(RESOLVE, system="CPNS", id=outsider["nomor_peserta"])
    (candidate,) = body["data"]["resolveIdentity"]["candidates"]
    assert (candidate["nik"], candidate["method"], candidate["citizen"]) == (
        outsider["nik"],
        "EXACT",
        None,
    )


async def test_a_family_card_resolves_in_siak_to_its_members(
    gql: GraphQLClient, seed_report: SeedReport
) -> None:
    assert seed_report.city is not None
    family = seed_report.city.showcase[1]
    body = await gql.post(RESOLVE, system="SIAK", id=family.kk)
    match = body["data"]["resolveIdentity"]
    assert match["kind"] == "KK"
    assert [c["nik"] for c in match["candidates"]] == [m.nik for m in family.members]
    assert all(c["citizen"]["fullName"] for c in match["candidates"])


@pytest.mark.parametrize(
    ("system", "identifier", "rule"),
    [("SIPBD", "1980 0101", "NIP.length"), ("CPNS", "A-042", "CPNS_REGISTRATION.format")],
)
async def test_an_identifier_the_system_cannot_hold_is_refused_naming_the_rule(
    gql: GraphQLClient, system: str, identifier: str, rule: str
) -> None:
    body = await gql.post(RESOLVE, system=system, id=identifier)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["rule"] == rule
    assert "\n" not in error["message"] and system in error["message"]


async def test_a_well_formed_identifier_nobody_holds_has_no_candidates(gql: GraphQLClient) -> None:
    body = await gql.post(RESOLVE, system="APK", id="APK/01/1999/000001")
    match = body["data"]["resolveIdentity"]
    assert (match["kind"], match["candidates"]) == ("APK_REQUEST", [])
