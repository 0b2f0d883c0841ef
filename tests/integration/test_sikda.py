"""SIKDa reads against the seeded test city on a real PostgreSQL."""

from __future__ import annotations

import re

import pytest

from connectors.base import Source, SourceDB
from connectors.city import City
from connectors.cpns.reads import applications_by_nik
from connectors.cpns.records import CivilServiceOutcome
from connectors.seeding import SeedReport
from connectors.sikda.reads import civil_servants_by_nik, civil_servants_by_nip, referenced_niks
from connectors.sikda.records import EmploymentStatus, PositionType, Rank
from identity.nip import NIP
from tests.integration.conftest import assert_only_out_of_city_unregistered


@pytest.fixture
def db(source_dbs: dict[Source, SourceDB]) -> SourceDB:
    return source_dbs[Source.SIKDA]


@pytest.fixture
def cpns(source_dbs: dict[Source, SourceDB]) -> SourceDB:
    return source_dbs[Source.CPNS]


async def test_showcase_heads_are_pns_whose_nip_agrees_with_their_cpns_pass(
    db: SourceDB, cpns: SourceDB, city: City
) -> None:
    heads = [f.head for f in city.showcase]
    found = await civil_servants_by_nik(db, [h.nik for h in heads])
    applications = await applications_by_nik(cpns, [h.nik for h in heads])
    for head in heads:
        servant = found[head.nik]
        assert servant.status is EmploymentStatus.PNS and servant.nik == head.nik
        assert servant.name.upper() == head.name
        assert servant.cpns_start is not None and servant.pns_start is not None
        assert servant.nip == (
            f"{head.birth_date:%Y%m%d}{servant.cpns_start:%Y%m}1{servant.nip[15:]}"
        )
        (passed,) = [
            a for a in applications[head.nik] if a.final_status is CivilServiceOutcome.PASSED
        ]
        assert servant.cpns_start.year == passed.year + 1
        assert servant.rank_history[0].since == servant.cpns_start
        assert servant.rank_history[-1].rank is servant.rank
        assert servant.position_history[-1].position == servant.position
        assert servant.rank.golongan in ("III/c", "III/d", "IV/a")  # 10-25 years of service


async def test_a_nip_finds_the_same_servant_in_either_layout(db: SourceDB, city: City) -> None:
    head = city.showcase[0].head
    servant = (await civil_servants_by_nik(db, [head.nik]))[head.nik]
    printed = NIP.parse(servant.nip).printed()
    found = await civil_servants_by_nip(db, [printed, "199001012015011999"])
    assert found == {servant.nip: servant}


async def test_niks_typed_with_separators_are_found_by_their_digits(
    db: SourceDB, seed_report: SeedReport
) -> None:
    rows = await db.fetch("SELECT nik, nip FROM pegawai WHERE nik ~ '[^0-9]'")
    assert len(rows) == seed_report.sources[Source.SIKDA].messy["nik_with_separators"] > 0
    clean = {re.sub(r"[^0-9]", "", r["nik"]): r["nip"] for r in rows}
    found = await civil_servants_by_nik(db, list(clean))
    assert {nik: s.nip for nik, s in found.items()} == clean


async def test_one_statement_per_call_whatever_the_number_of_keys(db: SourceDB, city: City) -> None:
    niks = [p.nik for p in city.people]
    before = db.statements
    await civil_servants_by_nik(db, niks[:1])
    servants = await civil_servants_by_nik(db, niks)
    await civil_servants_by_nip(db, [s.nip for s in servants.values()])
    assert db.statements - before == 3


async def test_only_out_of_city_servants_are_unknown_to_siak(
    db: SourceDB, register: frozenset[str], seed_report: SeedReport
) -> None:
    report = seed_report.sources[Source.SIKDA]
    referenced = await referenced_niks(db)
    assert_only_out_of_city_unregistered(referenced, register, report, rows=report.rows["pegawai"])


async def test_ranks_and_positions_are_decoded(db: SourceDB) -> None:
    servants = list((await civil_servants_by_nik(db, await referenced_niks(db))).values())
    assert {s.status for s in servants} == set(EmploymentStatus)
    assert {s.position_type for s in servants} >= {PositionType.FUNCTIONAL, PositionType.GENERAL}
    for s in servants:
        assert isinstance(s.rank, Rank) and s.rank_history[-1].since == s.rank_since
        assert s.position_history[-1].since == s.position_since
        assert s.phone is None or re.fullmatch(r"08\d{9,11}", s.phone)
        if s.status is EmploymentStatus.PPPK:
            assert s.rank.name.startswith("PPPK_") and s.cpns_start is None
            assert s.pppk_start is not None and s.nip[12:14] == "21"
        else:
            assert "/" in s.rank.golongan and s.rank.title[0].isupper()
    assert Rank.PENATA_MUDA_TINGKAT_I.title == "Penata Muda Tingkat I"
