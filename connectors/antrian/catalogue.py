"""The MPP's service centres and services, and how opening days are written.

The main centre keeps office days; the Tangcity Mall outlet keeps mall days, so
the city can be served on a Sunday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

DAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")

# National holidays in the three months before the reference date: every centre
# is closed (Independence Day; the Prophet's Birthday, Maulid Nabi, 1448 H).
HOLIDAYS = frozenset({date(2026, 8, 17), date(2026, 8, 25)})


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    prefix: str
    agency: str
    name: str
    daily_quota: int
    counters: int
    demand: float  # relative share of the visitors of a centre


@dataclass(frozen=True, slots=True)
class CentreSpec:
    code: str
    name: str
    address: str
    opening_days: str
    opens: time
    closes: time
    services: tuple[ServiceSpec, ...]


DUKCAPIL = "Disdukcapil Kota Tangerang"
KTP = ServiceSpec("A", DUKCAPIL, "Perekaman dan Pencetakan KTP-el", 250, 4, 5.0)
KK = ServiceSpec("B", DUKCAPIL, "Kartu Keluarga dan Pindah Datang", 200, 3, 3.5)
AKTA = ServiceSpec("C", DUKCAPIL, "Akta Kelahiran dan Kematian", 150, 2, 2.0)
NIB = ServiceSpec("D", "DPMPTSP Kota Tangerang", "Perizinan Berusaha (NIB/OSS)", 100, 2, 1.5)
PBG = ServiceSpec("E", "DPMPTSP Kota Tangerang", "Persetujuan Bangunan Gedung (PBG)", 60, 1, 0.6)
BPJS_KES = ServiceSpec("F", "BPJS Kesehatan", "Kepesertaan BPJS Kesehatan", 150, 2, 2.5)
BPJS_TK = ServiceSpec("G", "BPJS Ketenagakerjaan", "Klaim Jaminan Hari Tua", 100, 2, 1.5)
SAMSAT = ServiceSpec("H", "Samsat Kota Tangerang", "Pajak Kendaraan Bermotor", 200, 3, 3.0)
PASPOR = ServiceSpec("I", "Kantor Imigrasi Tangerang", "Permohonan Paspor", 120, 2, 1.5)
SKCK = ServiceSpec("J", "Polres Metro Tangerang Kota", "Penerbitan SKCK", 150, 2, 2.0)
PBB = ServiceSpec("K", "Bapenda Kota Tangerang", "PBB-P2 dan BPHTB", 100, 2, 1.2)

CENTRES: tuple[CentreSpec, ...] = (
    CentreSpec(
        "MPP01",
        "MPP Kota Tangerang",
        "Gedung Pusat Pemerintahan Kota Tangerang, Jl. Satria-Sudirman No. 1, Sukaasih",
        "Senin-Jumat",
        time(8, 0),
        time(16, 0),
        (KTP, KK, AKTA, NIB, PBG, BPJS_KES, BPJS_TK, SAMSAT, PASPOR, SKCK, PBB),
    ),
    CentreSpec(
        "MPP02",
        "MPP Cipondoh",
        "Jl. KH. Hasyim Ashari No. 16, Cipondoh",
        "Senin-Sabtu",
        time(8, 0),
        time(15, 0),
        (KTP, KK, AKTA, NIB, BPJS_KES, SAMSAT),
    ),
    CentreSpec(
        "MPP03",
        "MPP Ciledug",
        "Jl. HOS Cokroaminoto No. 2, Ciledug",
        "Senin-Jumat",
        time(8, 0),
        time(15, 0),
        (KTP, KK, BPJS_KES, PBB),
    ),
    CentreSpec(
        "MPP04",
        "Gerai MPP Tangcity Mall",
        "Tangcity Mall Lt. 3, Jl. Jend. Sudirman No. 1, Cikokol",
        "Senin-Minggu",
        time(10, 0),
        time(20, 0),
        (KTP, BPJS_KES, SAMSAT, PASPOR),
    ),
)


# How else the days are written on the counters' own forms: any case, "Jum'at", "Ahad".
_DAY_NUMBERS = {name.lower(): n for n, name in enumerate(DAY_NAMES, start=1)} | {
    "jum'at": 5,
    "ahad": 7,
}


def open_weekdays(opening_days: str) -> tuple[int, ...]:
    """ISO weekdays (1 = Monday) of a posted range like "Senin-Jumat" or list "Senin, Rabu".

    Day names are read in any case, ranges with a hyphen or an en dash; a day name it
    does not know raises ``ValueError`` naming it.
    """
    days: list[int] = []
    text = opening_days.replace(" ", "").replace("–", "-").lower()
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        start = _day_number(first)
        end = _day_number(last) if last else start
        # A range over the weekend ("Jumat-Senin") runs on into next week.
        days.extend(
            range(start, end + 1) if start <= end else (*range(start, 8), *range(1, end + 1))
        )
    return tuple(sorted(set(days)))


def _day_number(name: str) -> int:
    if name not in _DAY_NUMBERS:
        raise ValueError(f"{name!r} is no day name (Senin … Minggu)")
    return _DAY_NUMBERS[name]


def service_code(centre: str, prefix: str) -> str:
    return f"{centre}-{prefix}"
