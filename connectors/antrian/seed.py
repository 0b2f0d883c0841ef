"""Antrian's synthetic rows: the MPP catalogue and three months of queue tickets.

About 7 tickets per 100 citizens over the 91 days before the reference date,
spread over the centres' open days by each service's demand, numbered per day
and service ("A-001", "A-002", …). Past tickets were mostly served, some were
cancelled or their holder did not come; the reference date (a Sunday, so only the
mall outlet is open) is looked at late in the morning, its tickets waiting or called.
Each showcase head booked online: served last month, waiting today.
"""

from __future__ import annotations

import random
from datetime import timedelta
from itertools import accumulate
from typing import TYPE_CHECKING

from connectors.antrian.catalogue import CENTRES, HOLIDAYS, open_weekdays, service_code
from connectors.antrian.tickets import Slot, TicketWriter
from connectors.antrian.walkins import finish_walk_ins
from connectors.base import SeedRows, Source, TableRows
from connectors.city import REFERENCE_DATE
from identity.phone import canonical_phone

if TYPE_CHECKING:
    from connectors.city import City, Person

TICKETS_PER_CITIZEN = 0.07
WINDOW_DAYS = 91
TODAY_SHARE = 0.25  # share of a day's visitors already in the queue mid-morning


def seed(city: City, earlier: dict[Source, SeedRows]) -> SeedRows:
    """The catalogue (gerai, layanan, loket) and the tickets; the mess counted in ``messy``."""
    rng = city.rng("antrian")
    gerai, layanan, loket, counters = _catalogue()
    slots = _slots()
    weights = [s.service.demand * (TODAY_SHARE if s.day == REFERENCE_DATE else 1.0) for s in slots]
    counts = [0] * len(slots)
    total = round(len(city.people) * TICKETS_PER_CITIZEN)
    for index in rng.choices(range(len(slots)), cum_weights=list(accumulate(weights)), k=total):
        counts[index] += 1
    booked = _showcase_bookings(rng, city, slots)
    tickets = TicketWriter(city, rng, counters, _phones_on_record(earlier))
    for index, slot in enumerate(slots):
        visitors: list[Person | None] = [None] * min(counts[index], slot.service.daily_quota)
        past, today = booked.get(index, ([], []))
        for head in past:
            visitors.insert(rng.randrange(len(visitors) + 1), head)
        # Booked for today but not yet arrived: behind everyone already queueing.
        tickets.slot(slot, [*visitors, *today])
    apk = earlier.get(Source.APK)
    walk_ins = finish_walk_ins(city, tickets, apk.exports["shared_phones"] if apk else [])
    return SeedRows(
        tables={"gerai": gerai, "layanan": layanan, "loket": loket, "tiket": tickets.rows},
        messy=tickets.counts() | walk_ins,
        # Who took each walk-in ticket given with a citizen's phone (row index -> person):
        # the truth ``identity evaluate`` measures the phone matches against.
        exports={"walk_ins": dict(tickets.walk_ins)},
    )


# Where the other products record a phone with a NIK, a family card or a vendor.
_PHONES_ON_RECORD = {
    Source.PSB: ("pendaftar", "no_hp_ortu"),
    Source.CPNS: ("pelamar", "no_hp"),
    Source.SIKDA: ("pegawai", "no_hp"),
    Source.LPSE: ("penyedia", "telepon"),
    Source.APK: ("permohonan", "no_hp"),
}


def _phones_on_record(earlier: dict[Source, SeedRows]) -> set[str] | None:
    """Every phone the earlier products recorded (08… form); ``None`` when none ran."""
    if not any(s in earlier for s in _PHONES_ON_RECORD):
        return None
    seen: set[str] = set()
    for source, (table, column) in _PHONES_ON_RECORD.items():
        if source in earlier:
            data = earlier[source].tables[table]
            at = data.columns.index(column)
            seen.update(p for p in (canonical_phone(row[at]) for row in data.rows) if p)
    return seen


def _catalogue() -> tuple[TableRows, TableRows, TableRows, dict[str, list[str]]]:
    gerai = TableRows(("kode_gerai", "nama_gerai", "alamat", "hari_buka", "jam_buka", "jam_tutup"))
    layanan = TableRows(
        ("kode_layanan", "kode_gerai", "instansi", "nama_layanan", "prefix", "kuota_harian")
    )
    loket = TableRows(("kode_loket", "kode_gerai", "kode_layanan", "nama_loket"))
    counters: dict[str, list[str]] = {}
    for c in CENTRES:
        gerai.rows.append((c.code, c.name, c.address, c.opening_days, c.opens, c.closes))
        number = 0
        for s in c.services:
            code = service_code(c.code, s.prefix)
            layanan.rows.append((code, c.code, s.agency, s.name, s.prefix, s.daily_quota))
            for _ in range(s.counters):
                number += 1
                counter = f"{c.code}-L{number:02d}"
                loket.rows.append((counter, c.code, code, f"Loket {number}"))
                counters.setdefault(code, []).append(counter)
    return gerai, layanan, loket, counters


def _slots() -> list[Slot]:
    """Every (open day, centre, service) of the window, the reference date last."""
    days = [REFERENCE_DATE - timedelta(days=n) for n in range(WINDOW_DAYS, -1, -1)]
    weekdays = {c.code: open_weekdays(c.opening_days) for c in CENTRES}
    return [
        Slot(day, c, s)
        for day in days
        if day not in HOLIDAYS
        for c in CENTRES
        if day.isoweekday() in weekdays[c.code]
        for s in c.services
    ]


def _showcase_bookings(
    rng: random.Random, city: City, slots: list[Slot]
) -> dict[int, tuple[list[Person], list[Person]]]:
    """Per slot index, the showcase heads served there last month and waiting there today."""
    last_month = (REFERENCE_DATE.replace(day=1) - timedelta(days=1)).month
    civil = [
        i
        for i, s in enumerate(slots)
        if s.day.month == last_month and s.centre is CENTRES[0] and s.service.prefix in "AB"
    ]
    today = [i for i, s in enumerate(slots) if s.day == REFERENCE_DATE and s.service.prefix == "A"]
    booked: dict[int, tuple[list[Person], list[Person]]] = {}
    for family in city.showcase:
        booked.setdefault(rng.choice(civil), ([], []))[0].append(family.head)
        booked.setdefault(rng.choice(today), ([], []))[1].append(family.head)
    return booked
