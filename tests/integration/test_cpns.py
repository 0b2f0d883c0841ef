"""CPNS reads against the seeded test city on a real PostgreSQL."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from connectors.base import Source, SourceDB
from connectors.city import City
from connectors.cpns.reads import applications_by_nik, referenced_niks
from connectors.cpns.records import AdministrationResult, CivilServiceOutcome
from connectors.cpns.seed import PASSING_GRADES
from connectors.cpns.seed import seed as seed_cpns
from connectors.seeding import SeedReport
from tests.integration.conftest import assert_only_out_of_city_unregistered


@pytest.fixture
def db(source_dbs: dict[Source, SourceDB]) -> SourceDB:
    return source_dbs[Source.CPNS]


async def test_showcase_heads_passed_the_year_before_their_cpns_start(
    db: SourceDB, city: City
) -> None:
    starts = seed_cpns(city, {}).exports["cpns_start"]
    heads = [f.head for f in city.showcase]
    found = await applications_by_nik(db, [h.nik for h in heads])
    for head in heads:
        passed = [a for a in found[head.nik] if a.final_status is CivilServiceOutcome.PASSED]
        assert len(passed) == 1
        (application,) = passed
        assert application.year == starts[head.nik][0] - 1
        assert application.agency == "Pemerintah Kota Tangerang"
        assert application.administration is AdministrationResult.ELIGIBLE
        assert application.full_name == head.name and application.nik == head.nik
        assert application.phone == head.phone
        if application.skd is not None:  # rows from the computer-based SKD era
            assert application.skd.passed and isinstance(application.skb_score, Decimal)


async def test_eldest_showcase_son_tried_in_2024(db: SourceDB, city: City) -> None:
    sons = [f.members[4] for f in city.showcase]
    found = await applications_by_nik(db, [s.nik for s in sons])
    for son in sons:
        (application,) = found[son.nik]
        assert application.year == 2024 and application.skd is not None
        if son.occupation != "PEGAWAI NEGERI SIPIL":
            assert not application.skd.passed
            assert application.final_status is CivilServiceOutcome.FAILED
            assert application.skb_score is None


async def test_niks_typed_with_separators_are_found_by_their_digits(
    db: SourceDB, seed_report: SeedReport
) -> None:
    rows = await db.fetch("SELECT nik, nomor_peserta FROM pelamar WHERE nik ~ '[^0-9]'")
    assert len(rows) == seed_report.sources[Source.CPNS].messy["nik_with_separators"] > 0
    clean = {re.sub(r"[^0-9]", "", r["nik"]): r["nomor_peserta"] for r in rows}
    found = await applications_by_nik(db, list(clean))
    for nik, number in clean.items():
        assert number in {a.registration_number for a in found[nik]}
        assert all(a.nik == nik for a in found[nik])


async def test_one_statement_per_call_whatever_the_number_of_niks(db: SourceDB, city: City) -> None:
    niks = [p.nik for p in city.people]
    before = db.statements
    await applications_by_nik(db, niks[:1])
    await applications_by_nik(db, niks)
    assert db.statements - before == 2


async def test_only_out_of_city_applicants_are_unknown_to_siak(
    db: SourceDB, register: frozenset[str], seed_report: SeedReport
) -> None:
    report = seed_report.sources[Source.CPNS]
    referenced = await referenced_niks(db)
    assert_only_out_of_city_unregistered(referenced, register, report, rows=report.rows["pelamar"])


async def test_stages_are_decoded_and_consistent(db: SourceDB) -> None:
    found = await applications_by_nik(db, await referenced_niks(db))
    applications = [a for listed in found.values() for a in listed]
    assert {a.final_status for a in applications} == set(CivilServiceOutcome)
    for a in applications:
        assert a.phone is None or re.fullmatch(r"08\d{9,11}", a.phone)
        if a.administration is AdministrationResult.INELIGIBLE:
            assert a.final_status is CivilServiceOutcome.INELIGIBLE and a.skd is None
        if a.skd is not None:
            scores = (a.skd.twk, a.skd.tiu, a.skd.tkp)
            assert a.skd.total == sum(scores)
            assert a.skd.passed == all(s >= g for s, g in zip(scores, PASSING_GRADES, strict=True))
            if not a.skd.passed:
                assert a.final_status is CivilServiceOutcome.FAILED
