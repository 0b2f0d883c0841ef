"""The SIPBD seeder, without a database: holders known by NIP only, mess counted exactly."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from connectors.base import SeedRows, Source
from connectors.city import City, build_city
from connectors.cpns.seed import seed as seed_cpns
from connectors.sikda.seed import seed as seed_sikda
from connectors.sipbd.seed import printed_nip, seed

_PRINTED_NIP = re.compile(r"\d{8} \d{6} \d \d{3}")


def _chain(citizens: int, seed_number: int) -> tuple[City, dict[Source, SeedRows]]:
    city = build_city(citizens, seed_number)
    earlier = {Source.CPNS: seed_cpns(city, {})}
    earlier[Source.SIKDA] = seed_sikda(city, earlier)
    return city, earlier


@pytest.fixture(scope="module")
def chain() -> tuple[City, dict[Source, SeedRows]]:
    return _chain(3000, 7)


@pytest.fixture(scope="module")
def produced(chain: tuple[City, dict[Source, SeedRows]]) -> SeedRows:
    return seed(*chain)


def _barang(produced: SeedRows) -> list[dict[str, Any]]:
    data = produced.tables["barang"]
    return [dict(zip(data.columns, row, strict=True)) for row in data.rows]


def test_same_city_same_rows(produced: SeedRows) -> None:
    again = seed(*_chain(3000, 7))
    assert again.tables["barang"].rows == produced.tables["barang"].rows
    assert again.messy == produced.messy


def test_messy_counts_match_the_rows(
    chain: tuple[City, dict[Source, SeedRows]], produced: SeedRows
) -> None:
    known = {nip for nip, _ in chain[1][Source.SIKDA].exports["nips"]}
    held = [r["nip_pemegang"] for r in _barang(produced) if r["nip_pemegang"] is not None]
    assert all(len(n) == 18 or _PRINTED_NIP.fullmatch(n) for n in held)
    assert produced.messy == {
        "nip_with_separators": sum(" " in n for n in held),
        "no_holder": sum(r["nip_pemegang"] is None for r in _barang(produced)),
        "holder_unknown_to_sikda": sum(n.replace(" ", "") not in known for n in held),
    }
    assert all(v > 0 for v in produced.messy.values())


def test_every_kib_is_registered_with_believable_values(produced: SeedRows) -> None:
    rows = _barang(produced)
    assert {r["kib"] for r in rows} == set("ABCDEF")
    for r in rows:
        assert r["kode_barang"].startswith("1.3.")
        assert isinstance(r["nilai_perolehan"], Decimal) and r["nilai_perolehan"] > 0
        assert r["kondisi"] in ("B", "KB", "RB")
        if r["kib"] != "B":  # land, buildings and roads are nobody's to hold
            assert r["nip_pemegang"] is None
    registers = [(r["kode_unit"], r["kode_barang"], r["nomor_register"]) for r in rows]
    assert len(set(registers)) == len(registers)


def test_showcase_heads_hold_a_laptop_and_a_motorbike(
    chain: tuple[City, dict[Source, SeedRows]], produced: SeedRows
) -> None:
    city, earlier = chain
    nip_of = {nik: nip for nip, nik in earlier[Source.SIKDA].exports["nips"]}
    for family in city.showcase:
        nip = nip_of[family.head.nik]
        mine = {
            r["nama_barang"]
            for r in _barang(produced)
            if r["nip_pemegang"] in (nip, printed_nip(nip)) and r["kib"] == "B"
        }
        assert {"Laptop", "Sepeda Motor"} <= mine


def test_printed_nip_layout() -> None:
    assert printed_nip("198001012005011001") == "19800101 200501 1 001"
