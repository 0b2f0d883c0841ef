"""The LPSE seeder, without a database: deterministic, and its mess counted exactly."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from connectors.base import SeedRows
from connectors.city import REFERENCE_DATE, City, build_city
from connectors.lpse.seed import seed
from identity.nik import NIK

_CANONICAL_PHONE = re.compile(r"08\d{9,11}")


@pytest.fixture(scope="module")
def city() -> City:
    return build_city(3000, 7)


@pytest.fixture(scope="module")
def produced(city: City) -> SeedRows:
    return seed(city, {})


def _records(rows: SeedRows, table: str) -> list[dict[str, object]]:
    data = rows.tables[table]
    return [dict(zip(data.columns, row, strict=True)) for row in data.rows]


def test_same_city_same_rows(produced: SeedRows) -> None:
    again = seed(build_city(3000, 7), {})
    assert {t: d.rows for t, d in again.tables.items()} == {
        t: d.rows for t, d in produced.tables.items()
    }
    assert again.messy == produced.messy


def test_every_kind_of_mess_is_counted_exactly(city: City, produced: SeedRows) -> None:
    people = {p.nik: p for p in city.people}
    managers = _records(produced, "pengurus")
    vendors = _records(produced, "penyedia")
    niks = [re.sub(r"\D", "", str(m["nik"])) for m in managers]
    outside = [n for n in niks if n not in people]
    messy = produced.messy
    assert (
        sum(bool(re.search(r"\D", str(m["nik"]))) for m in managers) == messy["nik_with_separators"]
    )
    assert len(outside) == messy["out_of_city"]
    assert all(NIK.parse(n).regency in {"3603", "3674"} for n in outside)
    managed_by = {(m["id_penyedia"], n) for m, n in zip(managers, niks, strict=True)}
    npwp_niks = [v for v in vendors if (v["id_penyedia"], v["npwp"]) in managed_by]
    assert len(npwp_niks) == messy["npwp_is_nik"]
    assert all(v["bentuk_usaha"] in {"UD", "PERORANGAN"} for v in npwp_niks)
    phones = [str(v["telepon"]) for v in vendors]
    assert sum(not _CANONICAL_PHONE.fullmatch(p) for p in phones) == messy["phone_reformatted"]
    assert all(count > 0 for count in messy.values()), messy


def test_vendors_are_few_and_run_by_adults_who_may_run_them(city: City, produced: SeedRows) -> None:
    people = {p.nik: p for p in city.people}
    assert len(produced.tables["penyedia"].rows) == round(len(city.people) / 400)
    managers = Counter(m["id_penyedia"] for m in _records(produced, "pengurus"))
    assert set(managers.values()) <= {1, 2, 3}
    for m in _records(produced, "pengurus"):
        person = people.get(re.sub(r"\D", "", str(m["nik"])))
        if person is not None:
            assert person.age() >= 23
            assert person.occupation not in {"PEGAWAI NEGERI SIPIL", "PPPK", "TNI/POLRI"}
    npwps = [re.sub(r"\D", "", str(v["npwp"])) for v in _records(produced, "penyedia")]
    assert len(set(npwps)) == len(npwps)
    assert all(len(n) in (15, 16) for n in npwps)


def test_tenders_have_one_winner_who_bid_lowest_among_those_who_passed(
    produced: SeedRows,
) -> None:
    bids: dict[object, list[dict[str, object]]] = {}
    for b in _records(produced, "peserta"):
        bids.setdefault(b["kode_tender"], []).append(b)
    packages = {p["kode_tender"]: p for p in _records(produced, "paket")}
    winners = {w["kode_tender"]: w for w in _records(produced, "pemenang")}
    assert set(bids) == set(packages) and set(winners) <= set(packages)
    for code, winner in winners.items():
        package = packages[code]
        assert package["tahapan"] in {"PENETAPAN PEMENANG", "SELESAI"}
        won = [b for b in bids[code] if b["status"] == "MENANG"]
        assert [b["id_penyedia"] for b in won] == [winner["id_penyedia"]]
        assert won[0]["harga_penawaran"] <= package["hps"]  # type: ignore[operator]
        if package["tahapan"] == "SELESAI":
            assert winner["harga_kontrak"] == won[0]["harga_penawaran"]
    assert all(p["tgl_pengumuman"] < REFERENCE_DATE for p in packages.values())  # type: ignore[operator]


def test_each_showcase_wife_directs_a_cv_that_bid_twice_and_won_once(
    city: City, produced: SeedRows
) -> None:
    vendors = {v["id_penyedia"]: v for v in _records(produced, "penyedia")}
    bids = Counter(b["id_penyedia"] for b in _records(produced, "peserta"))
    wins = Counter(w["id_penyedia"] for w in _records(produced, "pemenang"))
    for family in city.showcase:
        wife = family.members[1]
        (role,) = [m for m in _records(produced, "pengurus") if m["nik"] == wife.nik]
        assert role["jabatan"] == "DIREKTUR"
        vendor_id = role["id_penyedia"]
        assert vendors[vendor_id]["bentuk_usaha"] == "CV"
        assert bids[vendor_id] >= 2 and wins[vendor_id] >= 1
        for other in (family.head, *family.members[2:]):
            assert all(m["nik"] != other.nik for m in _records(produced, "pengurus"))
