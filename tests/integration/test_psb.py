"""PSB reads against the seeded test city on a real PostgreSQL."""

from __future__ import annotations

import re

import pytest

from connectors.base import Source, SourceDB
from connectors.city import City
from connectors.psb.reads import admissions_by_family_card, admissions_by_nik, referenced_niks
from connectors.psb.records import AdmissionRoute, SchoolLevel, SelectionStatus
from connectors.psb.seed import current_admission_year
from connectors.seeding import SeedReport
from tests.integration.conftest import assert_only_out_of_city_unregistered


@pytest.fixture
def db(source_dbs: dict[Source, SourceDB]) -> SourceDB:
    return source_dbs[Source.PSB]


async def test_showcase_children_have_this_years_applications(db: SourceDB, city: City) -> None:
    year = current_admission_year()
    for family in city.showcase:
        head, _, son, daughter, eldest = family.members
        found = await admissions_by_nik(db, [son.nik, daughter.nik, head.nik, eldest.nik])
        assert set(found) == {son.nik, daughter.nik}
        (smp,) = [a for a in found[son.nik] if a.admission_year == year]
        assert smp.level is SchoolLevel.JUNIOR_HIGH
        assert smp.academic_year == f"{year}/{year + 1}"
        assert smp.nik == son.nik and smp.family_card_number == family.kk
        assert smp.score is not None and 70 <= smp.score <= 99
        assert smp.choices and [c.rank for c in smp.choices] == list(range(1, len(smp.choices) + 1))
        assert all(c.school.level is SchoolLevel.JUNIOR_HIGH for c in smp.choices)
        (sd,) = [a for a in found[daughter.nik] if a.admission_year == year]
        assert sd.level is SchoolLevel.PRIMARY and sd.score is None
        assert sd.route is not AdmissionRoute.ACHIEVEMENT


async def test_parents_see_their_childrens_applications_by_family_card(
    db: SourceDB, city: City
) -> None:
    family = city.showcase[0]
    found = await admissions_by_family_card(db, [family.kk, "3671000000000000"])
    assert set(found) == {family.kk}
    assert {a.nik for a in found[family.kk]} >= {family.members[2].nik, family.members[3].nik}


async def test_niks_typed_with_separators_are_found_by_their_digits(
    db: SourceDB, seed_report: SeedReport
) -> None:
    rows = await db.fetch("SELECT nik, no_pendaftaran FROM pendaftar WHERE nik ~ '[^0-9]'")
    assert len(rows) == seed_report.sources[Source.PSB].messy["nik_with_separators"] > 0
    clean = {re.sub(r"[^0-9]", "", r["nik"]): r["no_pendaftaran"] for r in rows}
    found = await admissions_by_nik(db, list(clean))
    for nik, number in clean.items():
        assert number in {a.registration_number for a in found[nik]}
        assert all(a.nik == nik for a in found[nik])


async def test_one_statement_per_call_whatever_the_number_of_niks(db: SourceDB, city: City) -> None:
    niks = [p.nik for p in city.people]
    before = db.statements
    await admissions_by_nik(db, niks[:1])
    await admissions_by_nik(db, niks[:1000])
    await admissions_by_family_card(db, [f.kk for f in city.families])
    assert db.statements - before == 3


async def test_only_out_of_city_applicants_are_unknown_to_siak(
    db: SourceDB, register: frozenset[str], seed_report: SeedReport
) -> None:
    report = seed_report.sources[Source.PSB]
    referenced = await referenced_niks(db)
    assert_only_out_of_city_unregistered(
        referenced, register, report, rows=report.rows["pendaftar"]
    )


async def test_legacy_codes_are_decoded_and_the_accepted_school_is_the_accepted_choice(
    db: SourceDB,
) -> None:
    niks = await referenced_niks(db)
    found = await admissions_by_nik(db, niks)
    admissions = [a for listed in found.values() for a in listed]
    assert {a.route for a in admissions} == set(AdmissionRoute)
    assert {a.status for a in admissions} == set(SelectionStatus)
    for a in admissions:
        accepted = [c.school for c in a.choices if c.status is SelectionStatus.ACCEPTED]
        assert (a.status is SelectionStatus.ACCEPTED) == bool(accepted)
        assert a.accepted_school == (accepted[0] if accepted else None)
        assert a.nisn is None or re.fullmatch(r"\d{10}", a.nisn)
