"""The APK seeder, without a database: deterministic, and its mess counted exactly."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta

import pytest

from connectors.apk.seed import seed
from connectors.base import SeedRows
from connectors.city import REFERENCE_DATE, City, build_city
from identity.names import clearly_different
from identity.phone import canonical_phone

_CANONICAL_PHONE = re.compile(r"08\d{9,11}")
_NOW = datetime(REFERENCE_DATE.year, REFERENCE_DATE.month, REFERENCE_DATE.day)


@pytest.fixture(scope="module")
def city() -> City:
    return build_city(3000, 7)


@pytest.fixture(scope="module")
def produced(city: City) -> SeedRows:
    return seed(city, {})


def _rows(produced: SeedRows, table: str) -> list[dict[str, object]]:
    data = produced.tables[table]
    return [dict(zip(data.columns, row, strict=True)) for row in data.rows]


def test_same_city_same_rows(produced: SeedRows) -> None:
    again = seed(build_city(3000, 7), {})
    assert {t: d.rows for t, d in again.tables.items()} == {
        t: d.rows for t, d in produced.tables.items()
    }
    assert again.messy == produced.messy


def test_messy_counts_match_the_rows(city: City, produced: SeedRows) -> None:
    requests = _rows(produced, "permohonan")
    niks = [str(r["nik_pemohon"]) for r in requests]
    clean = [re.sub(r"[^0-9]", "", n) for n in niks]
    residents = {p.nik for p in city.people}
    phones = [str(r["no_hp"]) for r in requests if r["no_hp"] is not None]
    names = {p.nik: p.name for p in city.people}
    canonical = [canonical_phone(p) for p in phones]
    phone_niks: dict[str | None, set[str]] = {}
    for r, phone in zip((r for r in requests if r["no_hp"] is not None), canonical, strict=True):
        phone_niks.setdefault(phone, set()).add(re.sub(r"[^0-9]", "", str(r["nik_pemohon"])))
    assert produced.messy == {
        "nik_with_separators": sum(n != c for n, c in zip(niks, clean, strict=True)),
        "out_of_city": sum(c not in residents for c in clean),
        "phone_reformatted": sum(not _CANONICAL_PHONE.fullmatch(p) for p in phones),
        "name_differs_from_siak": sum(
            clearly_different(str(r["nama_pemohon"]), names[c])
            for r, c in zip(requests, clean, strict=True)
            if c in residents
        ),
        "phone_of_another_applicant": len(produced.exports["shared_phones"]),
    }
    # Each shared phone is given by two applicants (or more, by chance).
    assert all(len(phone_niks[p]) >= 2 for p in produced.exports["shared_phones"])
    assert all(v > 0 for v in produced.messy.values())
    adults = {p.nik for p in city.people if p.age() >= 18}
    assert all(c in adults for c in clean if c in residents)


def test_requests_span_the_last_year_with_a_consistent_history(produced: SeedRows) -> None:
    requests = _rows(produced, "permohonan")
    numbers = [str(r["nomor_permohonan"]) for r in requests]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"APK/\d\d/20\d\d/\d{6}", n) for n in numbers)
    submitted = [r["tgl_pengajuan"] for r in requests]
    assert all(_NOW - timedelta(days=366) <= s < _NOW for s in submitted)  # type: ignore[operator]
    history: dict[object, list[dict[str, object]]] = {}
    for step in _rows(produced, "riwayat_status"):
        history.setdefault(step["permohonan_id"], []).append(step)
    for r in requests:
        steps = history[r["id"]]
        assert steps[0]["status"] == "DIAJUKAN"
        assert steps[-1]["status"] == r["status_terakhir"]
        assert [s["waktu"] for s in steps] == sorted(s["waktu"] for s in steps)  # type: ignore[type-var]
    finished = Counter(r["status_terakhir"] for r in requests)
    assert finished["SELESAI"] > finished["DITOLAK"] > 0


def test_every_showcase_wife_has_a_business_letter(city: City, produced: SeedRows) -> None:
    requests = _rows(produced, "permohonan")
    for family in city.showcase:
        wife = family.members[1]
        mine = [r for r in requests if re.sub(r"[^0-9]", "", str(r["nik_pemohon"])) == wife.nik]
        assert any(r["kode_layanan"] == "SKU" and r["status_terakhir"] == "SELESAI" for r in mine)
