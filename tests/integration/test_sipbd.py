"""SIPBD reads against the seeded test city on a real PostgreSQL: assets reached by NIP."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from connectors.base import Source, SourceDB
from connectors.city import City
from connectors.seeding import SeedReport
from connectors.sikda.reads import civil_servants_by_nik, civil_servants_by_nip
from connectors.sipbd.reads import assets_by_nip, referenced_nips
from connectors.sipbd.records import AssetCategory, AssetCondition


@pytest.fixture
def db(source_dbs: dict[Source, SourceDB]) -> SourceDB:
    return source_dbs[Source.SIPBD]


@pytest.fixture
def sikda(source_dbs: dict[Source, SourceDB]) -> SourceDB:
    return source_dbs[Source.SIKDA]


async def test_showcase_heads_hold_a_laptop_and_a_motorbike_reached_through_sikda(
    db: SourceDB, sikda: SourceDB, city: City
) -> None:
    heads = [f.head.nik for f in city.showcase]
    servants = await civil_servants_by_nik(sikda, heads)
    nips = [servants[nik].nip for nik in heads]
    found = await assets_by_nip(db, nips)
    for nip in nips:
        held = {a.name: a for a in found[nip]}
        assert {"Laptop", "Sepeda Motor"} <= set(held)
        motorbike = held["Sepeda Motor"]
        assert motorbike.category is AssetCategory.EQUIPMENT_AND_MACHINERY
        assert motorbike.holder_nip == nip and isinstance(motorbike.value, Decimal)
        assert isinstance(motorbike.condition, AssetCondition) and motorbike.brand


async def test_nips_stored_in_the_printed_layout_are_found_by_their_digits(
    db: SourceDB, seed_report: SeedReport
) -> None:
    rows = await db.fetch("SELECT nip_pemegang, id_barang FROM barang WHERE nip_pemegang ~ ' '")
    assert len(rows) == seed_report.sources[Source.SIPBD].messy["nip_with_separators"] > 0
    assert all(re.fullmatch(r"\d{8} \d{6} \d \d{3}", r["nip_pemegang"]) for r in rows)
    clean = {r["nip_pemegang"].replace(" ", ""): r["id_barang"] for r in rows}
    found = await assets_by_nip(db, list(clean))
    for nip, asset_id in clean.items():
        assert asset_id in {a.asset_id for a in found[nip]}


async def test_one_statement_per_call_whatever_the_number_of_nips(db: SourceDB) -> None:
    nips = await referenced_nips(db)
    before = db.statements
    await assets_by_nip(db, nips[:1])
    await assets_by_nip(db, nips)
    assert db.statements - before == 2


async def test_every_holder_is_in_sikda_but_the_departed(
    db: SourceDB, sikda: SourceDB, seed_report: SeedReport
) -> None:
    referenced = await referenced_nips(db)
    report = seed_report.sources[Source.SIPBD]
    (row,) = await db.fetch("SELECT count(*) FROM barang WHERE nip_pemegang IS NULL")
    unheld = row["count"]
    assert unheld == report.messy["no_holder"] > 0
    assert len(referenced) + unheld == report.rows["barang"]
    known = await civil_servants_by_nip(sikda, referenced)
    departed = [n for n in referenced if n not in known]
    assert len(departed) == report.messy["holder_unknown_to_sikda"] > 0
    assert all(re.fullmatch(r"\d{18}", n) for n in referenced)


async def test_every_kib_is_decoded(db: SourceDB) -> None:
    rows = await db.fetch("SELECT DISTINCT kib, kondisi FROM barang")
    assert {AssetCategory(r["kib"]) for r in rows} == set(AssetCategory)
    assert {AssetCondition(r["kondisi"]) for r in rows} == set(AssetCondition)
