"""LPSE reads against the seeded test city on a real PostgreSQL."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from connectors.base import Source, SourceDB
from connectors.city import City
from connectors.lpse.reads import referenced_niks, roles_by_nik, vendors_by_npwp
from connectors.lpse.records import (
    BidStatus,
    LegalForm,
    TenderStage,
    VendorPosition,
)
from connectors.seeding import SeedReport
from tests.integration.conftest import assert_only_out_of_city_unregistered


@pytest.fixture
def db(source_dbs: dict[Source, SourceDB]) -> SourceDB:
    return source_dbs[Source.LPSE]


async def test_showcase_wife_directs_a_cv_that_bid_twice_and_won_once(
    db: SourceDB, city: City
) -> None:
    for family in city.showcase:
        head, wife = family.members[0], family.members[1]
        found = await roles_by_nik(db, [wife.nik, head.nik])
        assert set(found) == {wife.nik}
        (role,) = found[wife.nik]
        assert role.nik == wife.nik
        assert role.position is VendorPosition.DIRECTOR
        assert role.share_percent == Decimal(60)
        assert role.vendor.legal_form is LegalForm.LIMITED_PARTNERSHIP
        assert role.vendor.name.startswith("CV. ")
        assert role.vendor.npwp.isdigit() and len(role.vendor.npwp) in (15, 16)
        assert len(role.tenders) >= 2
        won = [t for t in role.tenders if t.won]
        assert won and all(t.bid_status is BidStatus.WINNER for t in won)
        signed = [t for t in won if t.stage is TenderStage.COMPLETED]
        assert signed and all(isinstance(t.contract_value, Decimal) for t in signed)
        assert all(t.bid is not None and t.bid <= t.owner_estimate for t in won)
        lost = [t for t in role.tenders if not t.won]
        assert lost and all(t.contract_value is None for t in lost)
        dates = [t.announced_on for t in role.tenders]
        assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]


async def test_niks_typed_with_separators_are_found_by_their_digits(
    db: SourceDB, seed_report: SeedReport
) -> None:
    rows = await db.fetch("SELECT nik, id_penyedia FROM pengurus WHERE nik ~ '[^0-9]'")
    assert len(rows) == seed_report.sources[Source.LPSE].messy["nik_with_separators"] > 0
    clean = {re.sub(r"[^0-9]", "", r["nik"]): r["id_penyedia"] for r in rows}
    found = await roles_by_nik(db, [f"{n[:4]}.{n[4:8]}.{n[8:12]}.{n[12:]}" for n in clean])
    for nik, vendor_id in clean.items():
        assert vendor_id in {r.vendor.vendor_id for r in found[nik]}
        assert all(r.nik == nik for r in found[nik])


async def test_vendors_are_found_by_npwp_however_it_is_written(db: SourceDB) -> None:
    rows = await db.fetch(
        "SELECT npwp, id_penyedia FROM penyedia WHERE npwp LIKE '%.%' ORDER BY id_penyedia LIMIT 3"
    )
    assert rows
    typed = [r["npwp"] for r in rows]
    digits = [re.sub(r"\D", "", n) for n in typed]
    found = await vendors_by_npwp(db, [*typed, "99.999.999.9-999.999"])
    assert list(found) == digits
    assert [v.vendor_id for v in found.values()] == [r["id_penyedia"] for r in rows]
    assert all(v.phone is None or re.fullmatch(r"08\d{9,11}", v.phone) for v in found.values())


async def test_individual_vendors_file_under_their_owners_nik(
    db: SourceDB, seed_report: SeedReport
) -> None:
    rows = await db.fetch(
        "SELECT v.npwp FROM penyedia v JOIN pengurus g USING (id_penyedia)"
        " WHERE regexp_replace(g.nik, '[^0-9]', '', 'g') = v.npwp"
    )
    assert len(rows) == seed_report.sources[Source.LPSE].messy["npwp_is_nik"] > 0
    owners = [r["npwp"] for r in rows]
    vendors = await vendors_by_npwp(db, owners)
    roles = await roles_by_nik(db, owners)
    for nik in owners:
        assert vendors[nik].legal_form in {LegalForm.INDIVIDUAL, LegalForm.TRADING_BUSINESS}
        assert any(r.position is VendorPosition.OWNER for r in roles[nik])


async def test_one_statement_per_call_whatever_the_number_of_niks(db: SourceDB, city: City) -> None:
    niks = [p.nik for p in city.people]
    before = db.statements
    await roles_by_nik(db, niks[:1])
    await roles_by_nik(db, niks[:2000])
    await vendors_by_npwp(db, niks[:2000])
    assert db.statements - before == 3


async def test_referenced_niks_outside_the_register_are_exactly_the_out_of_city_rows(
    db: SourceDB, register: frozenset[str], seed_report: SeedReport
) -> None:
    report = seed_report.sources[Source.LPSE]
    referenced = await referenced_niks(db)
    assert_only_out_of_city_unregistered(referenced, register, report, rows=report.rows["pengurus"])
