"""The Antrian seeder, without a database: deterministic, its mess counted exactly."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta

import pytest

from connectors.antrian.catalogue import open_weekdays
from connectors.antrian.seed import seed
from connectors.apk.seed import seed as seed_apk
from connectors.base import SeedRows, Source
from connectors.city import REFERENCE_DATE, City, build_city
from identity.nik import NIK
from identity.phone import canonical_phone

_CANONICAL_PHONE = re.compile(r"08\d{9,11}")


@pytest.fixture(scope="module")
def city() -> City:
    return build_city(3000, 7)


@pytest.fixture(scope="module")
def earlier(city: City) -> dict[Source, SeedRows]:
    """APK's rows: the phones walk-ins gave an office before, two applicants' shared ones."""
    return {Source.APK: seed_apk(city, {})}


@pytest.fixture(scope="module")
def produced(city: City, earlier: dict[Source, SeedRows]) -> SeedRows:
    return seed(city, earlier)


@pytest.fixture(scope="module")
def tickets(produced: SeedRows) -> list[dict[str, object]]:
    data = produced.tables["tiket"]
    return [dict(zip(data.columns, row, strict=True)) for row in data.rows]


def test_same_city_same_rows(produced: SeedRows) -> None:
    city = build_city(3000, 7)
    again = seed(city, {Source.APK: seed_apk(city, {})})
    assert {t: d.rows for t, d in again.tables.items()} == {
        t: d.rows for t, d in produced.tables.items()
    }
    assert again.messy == produced.messy


def test_every_kind_of_mess_is_counted_exactly(
    city: City,
    earlier: dict[Source, SeedRows],
    produced: SeedRows,
    tickets: list[dict[str, object]],
) -> None:
    people = {p.nik for p in city.people}
    phones = {p.phone for p in city.people if p.phone}
    with_nik = [str(t["nik"]) for t in tickets if t["nik"] is not None]
    outside = [n for n in (re.sub(r"\D", "", n) for n in with_nik) if n not in people]
    phone_only = [t for t in tickets if t["nik"] is None]
    messy = produced.messy
    assert sum(bool(re.search(r"\D", n)) for n in with_nik) == messy["nik_with_separators"]
    assert len(outside) == messy["out_of_city"]
    assert all(NIK.parse(n).regency in {"3603", "3674"} for n in outside)
    assert all(t["sumber"] == "WALKIN" for t in phone_only)
    assert len(phone_only) == messy["walk_in_phone_only"]
    unknown = [t for t in phone_only if canonical_phone(str(t["no_hp"])) not in phones]
    assert len(unknown) == messy["walk_in_unknown_phone"]
    assert all(t["nama"] is None for t in unknown)
    assert sum(t["nama"] is not None for t in phone_only) == messy["walk_in_with_name"]
    shared = set(earlier[Source.APK].exports["shared_phones"])
    given = [t for t in phone_only if canonical_phone(str(t["no_hp"])) in shared]
    assert len(given) == messy["walk_in_shared_phone"] == len(shared)
    # Walk-ins with a citizen's phone gave it to another office before (here: APK).
    requests = earlier[Source.APK].tables["permohonan"]
    at = requests.columns.index("no_hp")
    on_record = {canonical_phone(str(r[at])) for r in requests.rows}
    heads = {f.head.phone for f in city.showcase}
    known = [t for t in phone_only if t not in unknown]
    assert all(canonical_phone(str(t["no_hp"])) in on_record | heads for t in known)
    stored = [str(t["no_hp"]) for t in tickets]
    assert sum(not _CANONICAL_PHONE.fullmatch(p) for p in stored) == messy["phone_reformatted"]
    assert all(count > 0 for count in messy.values()), messy


def test_tickets_cover_three_months_and_today_is_still_open(
    tickets: list[dict[str, object]],
) -> None:
    start = REFERENCE_DATE - timedelta(days=91)
    assert all(start <= t["tanggal"] <= REFERENCE_DATE for t in tickets)  # type: ignore[operator]
    for t in tickets:
        today = t["tanggal"] == REFERENCE_DATE
        live = t["status"] in {"MENUNGGU", "DIPANGGIL"}
        assert today == live, t
        assert (t["waktu_panggil"] is not None) == (t["kode_loket"] is not None)
        assert (t["waktu_selesai"] is not None) == (t["status"] == "DILAYANI")
    served = sum(t["status"] == "DILAYANI" for t in tickets)
    assert served > 0.8 * len(tickets)


def test_tickets_are_numbered_per_day_and_service_in_calling_order(
    tickets: list[dict[str, object]],
) -> None:
    queues: dict[tuple[object, object], list[dict[str, object]]] = defaultdict(list)
    for t in tickets:
        queues[t["tanggal"], t["kode_layanan"]].append(t)
    for (_, service), queue in queues.items():
        prefix = str(service)[-1]
        assert [t["nomor_tiket"] for t in queue] == [
            f"{prefix}-{n:03d}" for n in range(1, len(queue) + 1)
        ]
        called = [t["waktu_panggil"] for t in queue if t["waktu_panggil"] is not None]
        assert called == sorted(called)  # type: ignore[type-var]


def test_each_showcase_head_was_served_last_month_and_waits_today(
    city: City, tickets: list[dict[str, object]]
) -> None:
    for family in city.showcase:
        own = [t for t in tickets if t["nik"] == family.head.nik and t["sumber"] == "ONLINE"]
        served = [t for t in own if t["status"] == "DILAYANI"]
        assert any(t["tanggal"].month == 10 for t in served)  # type: ignore[attr-defined]
        today = [t for t in own if t["tanggal"] == REFERENCE_DATE]
        assert "MENUNGGU" in {t["status"] for t in today}
        # And one walk-in ticket with only his phone, for the crosswalk to match to him.
        walk_ins = [t for t in tickets if t["nik"] is None and t["no_hp"] == family.head.phone]
        assert walk_ins and all(t["nama"] is None for t in walk_ins)


def test_phones_and_opening_days_are_read_as_people_write_them() -> None:
    assert canonical_phone("+62 812-3456-7890") == "081234567890"
    assert canonical_phone("6281234567890") == "081234567890"
    assert canonical_phone("0812.3456.7890") == "081234567890"
    assert canonical_phone("81234567890") == "081234567890"
    assert canonical_phone("021-5551234") is None
    assert open_weekdays("Senin-Jumat") == (1, 2, 3, 4, 5)
    assert open_weekdays("Senin-Minggu") == tuple(range(1, 8))
    assert open_weekdays("Senin, Rabu-Kamis") == (1, 3, 4)
