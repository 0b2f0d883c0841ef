"""The SIKDa seeder, without a database: NIPs and ranks that agree with the people, mess counted."""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise
from typing import Any

import pytest

from connectors.base import SeedRows, Source
from connectors.city import REFERENCE_DATE, City, build_city
from connectors.cpns.seed import seed as seed_cpns
from connectors.sikda.positions import ENTRY_RANK, RANK_INDEX
from connectors.sikda.seed import seed
from identity.nik import NIK
from identity.nip import NIP

_CANONICAL_PHONE = re.compile(r"08\d{9,11}")


@pytest.fixture(scope="module")
def city() -> City:
    return build_city(3000, 7)


@pytest.fixture(scope="module")
def earlier(city: City) -> dict[Source, SeedRows]:
    return {Source.CPNS: seed_cpns(city, {})}


@pytest.fixture(scope="module")
def produced(city: City, earlier: dict[Source, SeedRows]) -> SeedRows:
    return seed(city, earlier)


def _rows(produced: SeedRows, table: str) -> list[dict[str, Any]]:
    data = produced.tables[table]
    return [dict(zip(data.columns, row, strict=True)) for row in data.rows]


def _clean(nik: str) -> str:
    return re.sub(r"[^0-9]", "", nik)


def test_same_city_same_rows(produced: SeedRows) -> None:
    city = build_city(3000, 7)
    again = seed(city, {Source.CPNS: seed_cpns(city, {})})
    assert {t: d.rows for t, d in again.tables.items()} == {
        t: d.rows for t, d in produced.tables.items()
    }
    assert again.messy == produced.messy and again.exports == produced.exports


def test_messy_counts_match_the_rows(city: City, produced: SeedRows) -> None:
    pegawai = _rows(produced, "pegawai")
    residents = {p.nik for p in city.people}
    phones = [r["no_hp"] for r in pegawai if r["no_hp"] is not None]
    assert produced.messy == {
        "nik_with_separators": sum(r["nik"] != _clean(r["nik"]) for r in pegawai),
        "out_of_city": sum(_clean(r["nik"]) not in residents for r in pegawai),
        "phone_reformatted": sum(not _CANONICAL_PHONE.fullmatch(p) for p in phones),
        # Read from the NIK alone, as the hub's identity check does.
        "nip_birth_date_differs": sum(
            not NIK.parse(r["nik"]).encodes_birth_date(NIP.parse(r["nip"]).birth_date)
            for r in pegawai
        ),
        "nip_sex_differs": sum(NIK.parse(r["nik"]).sex != NIP.parse(r["nip"]).sex for r in pegawai),
    }
    assert all(v > 0 for v in produced.messy.values())


def test_nip_tells_birth_date_start_and_sex(city: City, earlier: dict[Source, SeedRows]) -> None:
    produced = seed(city, earlier)
    people = {p.nik: p for p in city.people}
    people |= {p.nik: p for p, _, _ in earlier[Source.CPNS].exports["outsider_recruits"]}
    starts = earlier[Source.CPNS].exports["cpns_start"]
    nips = [r["nip"] for r in _rows(produced, "pegawai")]
    assert len(set(nips)) == len(nips)
    misnumbered = 0
    for r in _rows(produced, "pegawai"):
        nip, person = r["nip"], people[_clean(r["nik"])]
        assert len(nip) == 18 and nip.isdigit()
        assert f"{person.birth_date:%Y%m%d}" == f"{r['tanggal_lahir']:%Y%m%d}"
        born_right = nip[:8] == f"{person.birth_date:%Y%m%d}"
        sex_right = nip[14] == ("1" if person.sex == "M" else "2")
        # Only the deliberately misnumbered disagree, and each in one way only.
        if not (born_right and sex_right):
            misnumbered += 1
            assert born_right != sex_right
        assert NIP.parse(nip).value == nip  # still a valid NIP
        if r["status_pegawai"] == "PNS":
            assert nip[8:14] == f"{r['tmt_cpns']:%Y%m}"
            if person.nik in starts:  # agrees with the CPNS round they passed
                assert (r["tmt_cpns"].year, r["tmt_cpns"].month) == starts[person.nik]
        else:
            assert nip[8:14] == f"{r['tmt_pppk'].year}21" and r["tmt_cpns"] is None
    messy = produced.messy
    assert misnumbered == messy["nip_birth_date_differs"] + messy["nip_sex_differs"] > 0


def test_rank_follows_years_of_service(produced: SeedRows) -> None:
    history: dict[str, list[tuple[str, date]]] = {}
    for r in _rows(produced, "riwayat_pangkat"):
        history.setdefault(r["nip"], []).append((r["golongan"], r["tmt_golongan"]))
    for r in _rows(produced, "pegawai"):
        ranks = sorted(history[r["nip"]], key=lambda h: h[1])
        assert ranks[-1] == (r["golongan"], r["tmt_golongan"])
        if r["status_pegawai"] == "PPPK":
            assert r["golongan"] in ("V", "VII", "IX") and len(ranks) == 1
            continue
        assert ranks[0][1] == r["tmt_cpns"]
        assert RANK_INDEX[ranks[0][0]] in ENTRY_RANK
        steps = [RANK_INDEX[g] for g, _ in ranks]
        assert steps == list(range(steps[0], steps[0] + len(steps)))
        gaps = [(b - a).days for (_, a), (_, b) in pairwise(ranks)]
        assert all(gap >= 4 * 365 - 1 for gap in gaps)  # a regular promotion every 4-5 years
        served = (REFERENCE_DATE - r["tmt_cpns"]).days / 365.25
        assert len(ranks) - 1 <= served / 4


def test_every_civil_servant_of_the_city_is_employed(city: City, produced: SeedRows) -> None:
    by_nik = {_clean(r["nik"]): r for r in _rows(produced, "pegawai")}
    for person in city.people:
        pppk = person.occupation == "PPPK"
        if not pppk and person.occupation != "PEGAWAI NEGERI SIPIL":
            continue
        if person.nik in by_nik:
            assert by_nik[person.nik]["status_pegawai"] == ("PPPK" if pppk else "PNS")
        else:  # SIAK's occupation is stale: too young for any round, or past PPPK age
            age_in_2024 = 2024 - person.birth_date.year
            assert age_in_2024 < 18 or (pppk and age_in_2024 > 59), person
    assert all(by_nik[f.head.nik]["status_pegawai"] == "PNS" for f in city.showcase)
    assert {nip for nip, _ in produced.exports["nips"]} == {r["nip"] for r in by_nik.values()}


def test_position_history_ends_with_the_current_position(produced: SeedRows) -> None:
    last: dict[str, dict[str, Any]] = {}
    for r in _rows(produced, "riwayat_jabatan"):
        last[r["nip"]] = r
    for r in _rows(produced, "pegawai"):
        held = last[r["nip"]]
        assert (held["jabatan"], held["kode_unit"], held["tmt_jabatan"]) == (
            r["jabatan"],
            r["kode_unit"],
            r["tmt_jabatan"],
        )
