"""The PSB seeder, without a database: deterministic, and its mess counted exactly."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from connectors.base import SeedRows
from connectors.city import City, build_city
from connectors.psb.seed import current_admission_year, entry_year, seed

_CANONICAL_PHONE = re.compile(r"08\d{9,11}")


@pytest.fixture(scope="module")
def city() -> City:
    return build_city(3000, 7)


@pytest.fixture(scope="module")
def produced(city: City) -> SeedRows:
    return seed(city, {})


def _column(rows: SeedRows, table: str, name: str) -> list[object]:
    data = rows.tables[table]
    index = data.columns.index(name)
    return [row[index] for row in data.rows]


def test_same_city_same_rows(city: City, produced: SeedRows) -> None:
    again = seed(build_city(3000, 7), {})
    assert {t: d.rows for t, d in again.tables.items()} == {
        t: d.rows for t, d in produced.tables.items()
    }
    assert again.messy == produced.messy


def test_messy_counts_match_the_rows(city: City, produced: SeedRows) -> None:
    niks = [str(n) for n in _column(produced, "pendaftar", "nik")]
    clean = [re.sub(r"[^0-9]", "", n) for n in niks]
    residents = {p.nik for p in city.people}
    phones = [p for p in _column(produced, "pendaftar", "no_hp_ortu") if p is not None]
    assert produced.messy == {
        "nik_with_separators": sum(n != c for n, c in zip(niks, clean, strict=True)),
        "out_of_city": sum(c not in residents for c in clean),
        "phone_reformatted": sum(not _CANONICAL_PHONE.fullmatch(str(p)) for p in phones),
    }
    assert all(v > 0 for v in produced.messy.values())
    assert all(len(c) == 16 for c in clean)
    assert all(not c.startswith("3671") for c in clean if c not in residents)


def test_applicants_are_children_of_entry_age(city: City, produced: SeedRows) -> None:
    born = {p.nik: p for p in city.people}
    current = current_admission_year()
    showcase = {m.nik for f in city.showcase for m in f.members}
    rows = produced.tables["pendaftar"]
    cols = {c: i for i, c in enumerate(rows.columns)}
    for row in rows.rows:
        nik = re.sub(r"[^0-9]", "", row[cols["nik"]])
        year = int(row[cols["tahun_ajaran"]][:4])
        assert current - 2 <= year <= current
        if nik in born and nik not in showcase:
            assert entry_year(born[nik].birth_date, row[cols["jenjang"]]) == year


def test_choices_agree_with_the_selection_status(produced: SeedRows) -> None:
    status = dict(
        zip(
            _column(produced, "pendaftar", "id"),
            _column(produced, "pendaftar", "status_seleksi"),
            strict=True,
        )
    )
    accepted = Counter(
        row[0] for row in produced.tables["pilihan_sekolah"].rows if row[3] == "DITERIMA"
    )
    assert all(n == 1 for n in accepted.values())
    assert set(accepted) == {k for k, s in status.items() if s == "DITERIMA"}
    nisns = [n for n in _column(produced, "pendaftar", "nisn") if n is not None]
    assert len(nisns) == len(set(nisns))
    assert all(re.fullmatch(r"\d{10}", str(n)) for n in nisns)


def test_showcase_children_applied_this_year(city: City, produced: SeedRows) -> None:
    rows = produced.tables["pendaftar"]
    cols = {c: i for i, c in enumerate(rows.columns)}
    applied = {
        (re.sub(r"[^0-9]", "", r[cols["nik"]]), r[cols["jenjang"]], r[cols["tahun_ajaran"]])
        for r in rows.rows
    }
    year = current_admission_year()
    academic = f"{year}/{year + 1}"
    for family in city.showcase:
        son, daughter = family.members[2], family.members[3]
        assert (son.nik, "SMP", academic) in applied
        assert (daughter.nik, "SD", academic) in applied
