"""The identity crosswalk on the seeded test city: the deliberate mess found exactly.

``city_dsns`` syncs the crosswalk into the test city's hub database once; these
tests read it back and compare it with what the seeders say they made.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from connectors.base import Source, SourceDB, Store
from connectors.crosswalk.reads import links_by_identifier
from connectors.seeding import SeedReport
from hub.embedded import ensure_databases
from hub.identity.report import Report, format_report, load_report
from hub.identity.sync import sync_databases
from identity.findings import Rule
from identity.kinds import IdentifierKind, LinkMethod
from identity.nik import NIK
from identity.phone import canonical_phone
from tests.conftest import ScratchDatabases, dsn_for

PRODUCTS_WITH_OUTSIDERS = (Source.PSB, Source.CPNS, Source.SIKDA, Source.LPSE, Source.APK)


@pytest.fixture(scope="module")
async def hub(city_dsns: dict[Source | str, str]) -> AsyncIterator[asyncpg.Connection[Any]]:
    conn = await asyncpg.connect(city_dsns["hub"])
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def report(hub: asyncpg.Connection[Any]) -> Report:
    return await load_report(hub, examples=2)


async def _fetch(dsn: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


def test_conflicts_are_exactly_the_deliberate_ones(report: Report, seed_report: SeedReport) -> None:
    messy = {s: r.messy for s, r in seed_report.sources.items()}
    expected = {
        ("siak", Rule.NIK_BIRTH_DATE): messy[Source.SIAK]["nik_birth_date_differs"],
        ("siak", Rule.NIK_SEX): messy[Source.SIAK]["nik_sex_differs"],
        ("sikda", Rule.NIP_BIRTH_DATE): messy[Source.SIKDA]["nip_birth_date_differs"],
        ("sikda", Rule.NIP_SEX): messy[Source.SIKDA]["nip_sex_differs"],
        ("apk", Rule.NAME_MISMATCH): messy[Source.APK]["name_differs_from_siak"],
    }
    assert all(n > 0 for n in expected.values())
    for (system, rule), n in expected.items():
        assert report.count(system, rule) == n, (system, rule)
    # Nothing else contradicts itself anywhere: the rest of the city is consistent.
    contradictions = {Rule.NIK_BIRTH_DATE, Rule.NIK_SEX, Rule.NIP_BIRTH_DATE, Rule.NIP_SEX}
    contradictions.add(Rule.NAME_MISMATCH)
    found = {k: n for k, n in report.findings.items() if Rule(k[1]) in contradictions}
    assert found == {(s, r.value): n for (s, r), n in expected.items()}


def test_records_that_link_to_no_one_are_exactly_the_deliberate_ones(
    report: Report, seed_report: SeedReport
) -> None:
    messy = {s: r.messy for s, r in seed_report.sources.items()}
    for source in (*PRODUCTS_WITH_OUTSIDERS, Source.ANTRIAN):
        assert report.count(source.value, Rule.NOT_IN_REGISTER) == messy[source]["out_of_city"]
    # An applicant from outside the city brings a family card SIAK does not hold.
    assert report.count("psb", Rule.PARENT_NOT_ON_CARD) == messy[Source.PSB]["out_of_city"]
    sipbd = messy[Source.SIPBD]["holder_unknown_to_sikda"]
    assert report.count("sipbd", Rule.NIP_UNKNOWN) == sipbd > 0
    unknown = messy[Source.ANTRIAN]["walk_in_unknown_phone"]
    assert report.count("antrian", Rule.PHONE_UNMATCHED) == unknown > 0
    assert (
        report.count("antrian", Rule.PHONE_SHARED)
        >= messy[Source.ANTRIAN]["walk_in_shared_phone"]
        > 0
    )
    assert not any(
        r in (Rule.INVALID_IDENTIFIER.value, Rule.NOTHING_TO_LINK.value) for _, r in report.findings
    )


async def test_walk_ins_with_a_known_phone_are_matched_and_unknown_ones_are_not(
    hub: asyncpg.Connection[Any], city_dsns: dict[Source | str, str], seed_report: SeedReport
) -> None:
    assert seed_report.city is not None
    phones: dict[str | None, set[str]] = {}
    for person in seed_report.city.people:
        if person.phone:  # children often have a parent's
            phones.setdefault(person.phone, set()).add(person.nik)
    walk_ins = await _fetch(
        city_dsns[Source.ANTRIAN], "SELECT id_tiket, no_hp, nama FROM tiket WHERE nik IS NULL"
    )
    matched: dict[str, set[str]] = {}
    for row in await hub.fetch(
        "SELECT value, nik FROM identity_links WHERE kind = 'QUEUE_TICKET' AND method = 'MATCHED'"
    ):
        matched.setdefault(row["value"], set()).add(row["nik"])
    known = [w for w in walk_ins if canonical_phone(w["no_hp"]) in phones]
    unknown = [w for w in walk_ins if canonical_phone(w["no_hp"]) not in phones]
    assert len(unknown) == seed_report.sources[Source.ANTRIAN].messy["walk_in_unknown_phone"]
    assert all(str(w["id_tiket"]) not in matched for w in unknown)
    assert known and all(str(w["id_tiket"]) in matched for w in known)
    # Someone whose phone it is is always among the candidates.
    for w in known:
        assert phones[canonical_phone(w["no_hp"])] & matched[str(w["id_tiket"])]


async def test_sipbd_holders_reach_their_nik_through_sikda_unless_sikda_lost_them(
    hub: asyncpg.Connection[Any], city_dsns: dict[Source | str, str]
) -> None:
    sikda = {
        r["nip"]: r["nik"]
        for r in await _fetch(
            city_dsns[Source.SIKDA],
            "SELECT nip, regexp_replace(nik, '[^0-9]', '', 'g') AS nik FROM pegawai",
        )
    }
    held = await _fetch(
        city_dsns[Source.SIPBD],
        "SELECT id_barang, regexp_replace(nip_pemegang, '[^0-9]', '', 'g') AS nip"
        " FROM barang WHERE nip_pemegang IS NOT NULL",
    )
    links = {
        r["record"]: r
        for r in await hub.fetch("SELECT * FROM identity_links WHERE system = 'sipbd'")
    }
    for row in held:
        link = links.get(f"barang:{row['id_barang']}")
        if row["nip"] in sikda:
            assert link is not None and link["nik"] == sikda[row["nip"]]
            assert (link["method"], link["via"]) == ("DERIVED", "SIKDA NIP")
        else:
            assert link is None


async def test_out_of_city_niks_are_linked_but_to_no_citizen(
    hub: asyncpg.Connection[Any], city_dsns: dict[Source | str, str], seed_report: SeedReport
) -> None:
    register = {r["nik"] for r in await _fetch(city_dsns[Source.SIAK], "SELECT nik FROM penduduk")}
    outside = await hub.fetch(
        "SELECT system, record, nik FROM identity_links WHERE NOT in_register AND method = 'EXACT'"
    )
    assert outside and all(r["nik"] not in register for r in outside)
    assert {NIK.parse(r["nik"]).regency for r in outside} <= {"3603", "3674"}
    # Every record a neighbour filed, and only those (LPSE's managers hold no identifier
    # of their own: their NIKs are checked in the findings).
    for source in (Source.PSB, Source.CPNS, Source.SIKDA, Source.APK, Source.ANTRIAN):
        records = {r["record"] for r in outside if r["system"] == source.value}
        assert len(records) == seed_report.sources[source].messy["out_of_city"] > 0
    inside = await hub.fetchval("SELECT count(*) FROM identity_links WHERE in_register")
    assert inside > 10 * len(outside)


async def test_a_phone_shared_by_two_citizens_gives_two_candidates(
    hub: asyncpg.Connection[Any], city_dsns: dict[Source | str, str]
) -> None:
    shared = await hub.fetch(
        "SELECT value FROM identity_links WHERE kind = 'PHONE' AND method = 'EXACT'"
        " AND in_register GROUP BY value HAVING count(DISTINCT nik) = 2"
    )
    pool = await asyncpg.create_pool(city_dsns["hub"], min_size=1, max_size=1)
    try:
        store = SourceDB(Store.HUB, pool)
        walked_in = 0
        for row in shared:
            phone = row["value"]
            links = await links_by_identifier(
                store, Source.ANTRIAN, [(IdentifierKind.PHONE, phone)]
            )
            matched = [x for x in links if x.method is LinkMethod.MATCHED]
            if not matched:
                continue  # nobody walked in with this one
            walked_in += 1
            assert len({x.nik for x in matched}) >= 2
            assert all(x.confidence < 0.8 for x in matched)
    finally:
        await pool.close()
    assert walked_in > 0


async def test_sync_twice_changes_nothing_the_second_time(
    city_dsns: dict[Source | str, str], test_databases: ScratchDatabases
) -> None:
    name = f"chtest_{secrets.token_hex(3)}_hub_again"
    test_databases.created += await ensure_databases(test_databases.admin_dsn, [name])
    dsn = dsn_for(test_databases.admin_dsn, name)
    products = {s: city_dsns[s] for s in Source}
    first = await sync_databases(products, dsn)
    assert first.links.inserted == first.links.total > 1000
    assert (first.links.updated, first.links.removed) == (0, 0)
    assert first.findings.inserted == first.findings.total > 0
    second = await sync_databases(products, dsn)
    assert second.links.total == first.links.total
    assert second.links.touched == second.findings.touched == 0
    # One link gone, one altered, one stale: the next sync mends exactly those three.
    conn = await asyncpg.connect(dsn)
    try:
        keys = [
            r["link_key"] for r in await conn.fetch("SELECT link_key FROM identity_links LIMIT 2")
        ]
        await conn.execute("DELETE FROM identity_links WHERE link_key = $1", keys[0])
        await conn.execute(
            "UPDATE identity_links SET confidence = 0.01, fingerprint = '\\x00'::bytea"
            " WHERE link_key = $1",
            keys[1],
        )
        await conn.execute(
            "INSERT INTO identity_links SELECT '\\x01'::bytea, kind, value || 'x', system, record,"
            " nik, method, confidence, via, in_register, fingerprint, first_seen, changed_at"
            " FROM identity_links WHERE link_key = $1",
            keys[1],
        )
        third = await sync_databases(products, dsn)
        assert (third.links.inserted, third.links.updated, third.links.removed) == (1, 1, 1)
        restored = await conn.fetchval(
            "SELECT confidence FROM identity_links WHERE link_key = $1", keys[1]
        )
        assert restored > 0.01
        syncs = await conn.fetchval("SELECT count(*) FROM identity_syncs")
        assert syncs == 3
    finally:
        await conn.close()


def test_the_report_counts_per_source_and_rule_and_masks_every_nik(report: Report) -> None:
    text = format_report(report)
    assert "conflicts" in text and "records that link to no one" in text
    assert "SIAK     nik_birth_date" in text and "ANTRIAN  phone_unmatched" in text
    assert not re.search(r"\d{16}", text), "a NIK in clear"
    assert re.search(r"\b3671\*{12}", text)
    assert ("antrian", "MATCHED") in report.links and ("sipbd", "DERIVED") in report.links
