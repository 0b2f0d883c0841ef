"""APK reads against the seeded test city on a real PostgreSQL."""

from __future__ import annotations

import re

import pytest

from connectors.apk.reads import (
    WIB,
    referenced_niks,
    requests_by_nik,
    requests_by_number,
    requests_by_phone,
    service_types,
)
from connectors.apk.records import RequestStatus
from connectors.base import Source, SourceDB
from connectors.city import City
from connectors.seeding import SeedReport
from identity.phone import canonical_phone
from tests.integration.conftest import assert_only_out_of_city_unregistered


@pytest.fixture
def db(source_dbs: dict[Source, SourceDB]) -> SourceDB:
    return source_dbs[Source.APK]


async def test_showcase_wives_have_a_completed_business_letter(db: SourceDB, city: City) -> None:
    wives = [f.members[1] for f in city.showcase]
    found = await requests_by_nik(db, [w.nik for w in wives])
    for wife in wives:
        (sku, *_) = [r for r in found[wife.nik] if r.service_code == "SKU"]
        assert sku.nik == wife.nik
        assert sku.service_name == "SURAT KETERANGAN USAHA"
        assert sku.kecamatan_code == wife.kecamatan and sku.kecamatan
        assert sku.status is RequestStatus.COMPLETED
        assert [h.status for h in sku.history] == [
            RequestStatus.SUBMITTED,
            RequestStatus.VERIFIED,
            RequestStatus.IN_PROCESS,
            RequestStatus.COMPLETED,
        ]
        assert sku.submitted_at.tzinfo is WIB and sku.history[0].at == sku.submitted_at
        assert sku.phone == wife.phone
        assert re.fullmatch(r"APK/\d\d/20\d\d/\d{6}", sku.number)
        assert (await requests_by_number(db, [sku.number]))[sku.number] == sku


async def test_niks_and_phones_typed_loosely_are_found_by_their_clean_form(
    db: SourceDB, seed_report: SeedReport
) -> None:
    rows = await db.fetch(
        "SELECT nik_pemohon, nomor_permohonan FROM permohonan WHERE nik_pemohon ~ '[^0-9]'"
    )
    assert len(rows) == seed_report.sources[Source.APK].messy["nik_with_separators"] > 0
    by_nik = {re.sub(r"[^0-9]", "", r["nik_pemohon"]): r["nomor_permohonan"] for r in rows}
    found = await requests_by_nik(db, list(by_nik))
    assert all(n in {r.number for r in found[nik]} for nik, n in by_nik.items())
    rows = await db.fetch(
        "SELECT no_hp, nomor_permohonan FROM permohonan WHERE no_hp !~ '^08[0-9]+$'"
    )
    assert len(rows) == seed_report.sources[Source.APK].messy["phone_reformatted"] > 0
    found = await requests_by_phone(db, [r["no_hp"] for r in rows])
    for row in rows:
        phone = canonical_phone(row["no_hp"])
        assert phone is not None
        assert row["nomor_permohonan"] in {r.number for r in found[phone]}
        assert all(r.phone == phone for r in found[phone])


async def test_one_statement_per_call_whatever_the_number_of_keys(db: SourceDB, city: City) -> None:
    people = city.people
    before = db.statements
    await requests_by_nik(db, [people[0].nik])
    await requests_by_nik(db, [p.nik for p in people])
    await requests_by_phone(db, [p.phone for p in people if p.phone])
    assert db.statements - before == 3


async def test_only_out_of_city_applicants_are_unknown_to_siak(
    db: SourceDB, register: frozenset[str], seed_report: SeedReport
) -> None:
    report = seed_report.sources[Source.APK]
    referenced = await referenced_niks(db)
    assert_only_out_of_city_unregistered(
        referenced, register, report, rows=report.rows["permohonan"]
    )


async def test_the_catalogue_lists_services_with_their_requirements(db: SourceDB) -> None:
    catalogue = await service_types(db)
    by_code = {s.code: s for s in catalogue}
    assert by_code["SKTM"].name == "SURAT KETERANGAN TIDAK MAMPU"
    assert "Fotokopi KK" in by_code["SKTM"].requirements
    assert by_code["PBG"].processing_days > by_code["SP"].processing_days
    assert all(s.requirements and s.processing_days > 0 for s in catalogue)


async def test_every_request_status_is_decoded(db: SourceDB) -> None:
    found = await requests_by_nik(db, await referenced_niks(db))
    requests = [r for listed in found.values() for r in listed]
    assert {r.status for r in requests} >= {RequestStatus.COMPLETED, RequestStatus.REJECTED}
    assert all(r.history[-1].status is r.status for r in requests)
