"""The CPNS seeder, without a database: deterministic, believable, its mess counted exactly."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from connectors.base import SeedRows
from connectors.city import City, build_city
from connectors.cpns.seed import PASSING_GRADES, seed

_CANONICAL_PHONE = re.compile(r"08\d{9,11}")


@pytest.fixture(scope="module")
def city() -> City:
    return build_city(3000, 7)


@pytest.fixture(scope="module")
def produced(city: City) -> SeedRows:
    return seed(city, {})


def _rows(produced: SeedRows, table: str) -> list[dict[str, Any]]:
    data = produced.tables[table]
    return [dict(zip(data.columns, row, strict=True)) for row in data.rows]


def _clean(nik: object) -> str:
    return re.sub(r"[^0-9]", "", str(nik))


def test_same_city_same_rows(produced: SeedRows) -> None:
    again = seed(build_city(3000, 7), {})
    assert {t: d.rows for t, d in again.tables.items()} == {
        t: d.rows for t, d in produced.tables.items()
    }
    assert again.messy == produced.messy
    assert again.exports["cpns_start"] == produced.exports["cpns_start"]


def test_messy_counts_match_the_rows(city: City, produced: SeedRows) -> None:
    pelamar = _rows(produced, "pelamar")
    residents = {p.nik for p in city.people}
    phones = [r["no_hp"] for r in pelamar if r["no_hp"] is not None]
    assert produced.messy == {
        "nik_with_separators": sum(r["nik"] != _clean(r["nik"]) for r in pelamar),
        "out_of_city": sum(_clean(r["nik"]) not in residents for r in pelamar),
        "phone_reformatted": sum(not _CANONICAL_PHONE.fullmatch(str(p)) for p in phones),
    }
    assert all(v > 0 for v in produced.messy.values())
    outsiders = {_clean(r["nik"]) for r in pelamar} - residents
    assert all(n[:4] in ("3603", "3674") and len(n) == 16 for n in outsiders)


def test_applicants_are_of_age_in_the_year_they_applied(city: City, produced: SeedRows) -> None:
    # 20-35, except a civil servant (or the showcase son) who tried at the legal minimum of 18.
    civil = {p.nik for p in city.people if p.occupation == "PEGAWAI NEGERI SIPIL"}
    sons = {f.members[4].nik for f in city.showcase}
    for row in _rows(produced, "pelamar"):
        age = row["tahun"] - row["tanggal_lahir"].year
        lowest = 18 if _clean(row["nik"]) in civil | sons else 20
        assert lowest <= age <= 35, row


def test_every_civil_servant_passed_the_year_before_their_start(
    city: City, produced: SeedRows
) -> None:
    starts = produced.exports["cpns_start"]
    outcome = {r["nomor_peserta"]: r["status_akhir"] for r in _rows(produced, "hasil_seleksi")}
    passes = Counter(
        (_clean(r["nik"]), r["tahun"], str(r["kode_formasi"])[4:8])
        for r in _rows(produced, "pelamar")
        if outcome[r["nomor_peserta"]] == "LULUS"
    )
    recruits = {p.nik: start for p, start, _ in produced.exports["outsider_recruits"]}
    expected = {(nik, year - 1, "3671") for nik, (year, _) in (starts | recruits).items()}
    assert set(passes) == expected  # nobody else passed, and nobody passed twice
    assert all(n == 1 for n in passes.values())
    pns = [p for p in city.people if p.occupation == "PEGAWAI NEGERI SIPIL"]
    assert len(starts) >= 0.9 * len(pns)
    assert all(f.head.nik in starts for f in city.showcase)


def test_stages_follow_the_selection_rules(produced: SeedRows) -> None:
    for r in _rows(produced, "hasil_seleksi"):
        if r["status_administrasi"] == "TMS":
            assert r["status_akhir"] == "TMS" and r["skd_total"] is None
            continue
        if r["skd_total"] is None:  # migrated pre-CAT pass
            assert r["status_akhir"] == "LULUS"
            continue
        scores = (r["skd_twk"], r["skd_tiu"], r["skd_tkp"])
        assert r["skd_total"] == sum(scores)
        assert r["lulus_skd"] == all(s >= g for s, g in zip(scores, PASSING_GRADES, strict=True))
        if not r["lulus_skd"]:
            assert r["status_akhir"] == "TIDAK LULUS" and r["nilai_skb"] is None
        if r["status_akhir"] in ("LULUS", "P/L"):
            assert r["nilai_skb"] is not None


def test_quota_holds_everyone_who_passed(produced: SeedRows) -> None:
    outcome = {r["nomor_peserta"]: r["status_akhir"] for r in _rows(produced, "hasil_seleksi")}
    passed = Counter(
        r["kode_formasi"]
        for r in _rows(produced, "pelamar")
        if outcome[r["nomor_peserta"]] == "LULUS"
    )
    quota = {r["kode_formasi"]: r["kuota"] for r in _rows(produced, "formasi")}
    assert all(n <= quota[code] for code, n in passed.items())


def test_eldest_showcase_son_tried_in_2024(city: City, produced: SeedRows) -> None:
    outcome = {r["nomor_peserta"]: r for r in _rows(produced, "hasil_seleksi")}
    for family in city.showcase:
        son = family.members[4]
        mine = [r for r in _rows(produced, "pelamar") if _clean(r["nik"]) == son.nik]
        assert [r["tahun"] for r in mine] == [2024]
        if son.occupation != "PEGAWAI NEGERI SIPIL":
            assert outcome[mine[0]["nomor_peserta"]]["lulus_skd"] is False
