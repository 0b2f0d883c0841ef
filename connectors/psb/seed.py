"""PSB's synthetic rows: the schools, and three admission years of applicants.

Each child applies once per level, in the year they reach the entry age: SD at
six (by 1 July), SMP six years later. A share of each cohort applies online (the
rest go to private schools and madrasah), a few children come from the
neighbouring regencies, and parents typed NIKs and phones as they liked.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from connectors.base import SeedRows, Source, TableRows
from connectors.city import REFERENCE_DATE, STREETS, weighted
from connectors.mess import LegacyMess
from identity.regions import KECAMATAN, KELURAHAN

if TYPE_CHECKING:
    from connectors.city import City, Person

# About 380 state SD and 33 state SMP serve 1.9 million people.
_PEOPLE_PER_SD = 5_000
_PEOPLE_PER_SMP = 58_000
_ENTRY_AGE = {"SD": 6, "SMP": 12}
_APPLY_SHARE = {"SD": 0.55, "SMP": 0.7}
_OUT_OF_CITY_SHARE = 0.03
_SEPARATOR_SHARE = 0.03
_PHONE_REFORMAT_SHARE = 0.25
# Route quotas of the 2025 SPMB rules: SD has no prestasi route.
_ROUTES = {
    "SD": (("DOMISILI", 0.75), ("AFIRMASI", 0.2), ("MUTASI", 0.05)),
    "SMP": (("DOMISILI", 0.4), ("AFIRMASI", 0.2), ("MUTASI", 0.05), ("PRESTASI", 0.35)),
}
_OUTSIDER_ROUTES = {
    "SD": (("MUTASI", 0.5), ("DOMISILI", 0.5)),
    "SMP": (("MUTASI", 0.4), ("DOMISILI", 0.3), ("PRESTASI", 0.3)),
}
_ACCEPT_SHARE = {"SD": 0.78, "SMP": 0.62}
_MAX_CHOICES = {"SD": 2, "SMP": 3}


def current_admission_year(on: date = REFERENCE_DATE) -> int:
    """The latest admission year whose selection has run (PSB closes in early July)."""
    return on.year if on.month >= 7 else on.year - 1


def entry_year(birth: date, level: str) -> int:
    """The year a child born on ``birth`` applies to ``level``: aged 6 (or 12) by 1 July."""
    late = (birth.month, birth.day) > (7, 1)
    return birth.year + _ENTRY_AGE[level] + late


def seed(city: City, earlier: dict[Source, SeedRows]) -> SeedRows:
    """Schools, applications and choices for the last three admission years.

    Every showcase son has an SMP and every showcase daughter an SD application
    for the current admission year; ``messy`` counts exactly the rows made dirty.
    """
    rng = city.rng("psb")
    schools = _Schools(city, rng)
    rows = _Applications(city, rng, schools)
    current = current_admission_year()
    years = range(current - 2, current + 1)
    showcase = {id(m) for f in city.showcase for m in f.members[2:4]}
    for family in city.families:
        head = family.head
        mother = next((m for m in family.members if m.relationship == "ISTRI"), head)
        for child in family.members[1:]:
            for level in ("SD", "SMP"):
                year = entry_year(child.birth_date, level)
                if id(child) in showcase:
                    # The demo shows the son's SMP and the daughter's SD application
                    # for this year's admission, whatever the month of their birth.
                    if level != ("SMP" if child.sex == "M" else "SD"):
                        continue
                    year = current
                elif year not in years or rng.random() >= _APPLY_SHARE[level]:
                    continue
                parent = mother if rng.random() < 0.5 else head
                rows.add(child, level, year, family.kk, parent.name, parent.phone)
                if rng.random() < _OUT_OF_CITY_SHARE:
                    rows.add_outsider(level, years)
    return SeedRows(
        tables={
            "sekolah": schools.table,
            "pendaftar": rows.pendaftar,
            "pilihan_sekolah": rows.pilihan,
        },
        messy={
            "nik_with_separators": rows.mess.nik_with_separators,
            "out_of_city": rows.outsiders,
            "phone_reformatted": rows.mess.phone_reformatted,
        },
    )


class _Schools:
    """The state schools, spread evenly over the 13 kecamatan."""

    def __init__(self, city: City, rng: random.Random) -> None:
        self.table = TableRows(("npsn", "nama_sekolah", "jenjang", "kecamatan", "alamat", "kuota"))
        self.by_kecamatan: dict[tuple[str, str], list[str]] = {}
        self.all: dict[str, list[str]] = {"SD": [], "SMP": []}
        codes = sorted(KECAMATAN)
        people = len(city.people)
        for level, per, npsn_base in (
            ("SD", _PEOPLE_PER_SD, 20600000),
            ("SMP", _PEOPLE_PER_SMP, 20670000),
        ):
            for n in range(max(len(codes), round(people / per))):
                kec = codes[n % len(codes)]
                npsn = str(npsn_base + n + 1)
                if level == "SD":
                    kelurahan = rng.choice(KELURAHAN[kec]).upper()
                    name = f"SD NEGERI {kelurahan} {n // len(codes) + 1}"
                    quota = 28 * rng.randint(2, 3)
                else:
                    name = f"SMP NEGERI {n + 1} TANGERANG"
                    quota = 32 * rng.randint(7, 11)
                address = f"{rng.choice(STREETS)} No. {rng.randint(1, 150)}"
                self.table.rows.append((npsn, name, level, KECAMATAN[kec], address, quota))
                self.by_kecamatan.setdefault((level, kec), []).append(npsn)
                self.all[level].append(npsn)

    def choose(self, rng: random.Random, level: str, kecamatan: str, count: int) -> list[str]:
        """``count`` distinct schools, the nearest (same kecamatan) first."""
        near = self.by_kecamatan.get((level, kecamatan), [])
        chosen = rng.sample(near, min(count, len(near)))
        while len(chosen) < count:
            npsn = rng.choice(self.all[level])
            if npsn not in chosen:
                chosen.append(npsn)
        return chosen


class _Applications:
    """The pendaftar and pilihan_sekolah rows, with the mess counted as it is made."""

    def __init__(self, city: City, rng: random.Random, schools: _Schools) -> None:
        self.city, self.rng, self.schools = city, rng, schools
        self.pendaftar = TableRows(
            (
                "id",
                "no_pendaftaran",
                "nisn",
                "nik",
                "nama",
                "tanggal_lahir",
                "jenjang",
                "jalur",
                "jarak_meter",
                "nilai",
                "status_seleksi",
                "tahun_ajaran",
                "tgl_daftar",
                "nama_ortu",
                "no_hp_ortu",
                "no_kk",
            )
        )
        self.pilihan = TableRows(("pendaftar_id", "urutan", "npsn", "status"))
        self.serials: dict[tuple[str, int], int] = {}
        self.nisns: set[str] = set()
        self.outsiders = 0
        self.mess = LegacyMess(rng, nik_share=_SEPARATOR_SHARE, phone_share=_PHONE_REFORMAT_SHARE)
        self.current = current_admission_year()

    def add(
        self,
        child: Person,
        level: str,
        year: int,
        kk: str,
        parent_name: str,
        phone: str | None,
        *,
        outsider: bool = False,
    ) -> None:
        rng = self.rng
        route = weighted(rng, (_OUTSIDER_ROUTES if outsider else _ROUTES)[level])
        kecamatan = child.kecamatan or rng.choice(sorted(KECAMATAN))
        choices = self.schools.choose(rng, level, kecamatan, rng.randint(1, _MAX_CHOICES[level]))
        status, statuses = self._outcome(level, year, route, len(choices))
        serial = self.serials.get((level, year), 0) + 1
        self.serials[level, year] = serial
        row_id = len(self.pendaftar.rows) + 1
        near = route == "DOMISILI" and not outsider
        distance = rng.randint(80, 2500 if level == "SD" else 4500) if near else None
        self.pendaftar.rows.append(
            (
                row_id,
                f"{level}-{year}-{serial:06d}",
                self._nisn(child.birth_date, level),
                self.mess.nik(child.nik),
                child.name,
                child.birth_date,
                level,
                route,
                distance if distance is not None else rng.randint(300, 12000),
                self._score(level, route),
                status,
                f"{year}/{year + 1}",
                date(year, 6, 2) + timedelta(days=rng.randrange(18)),
                parent_name,
                self.mess.phone(phone),
                kk,
            )
        )
        for rank, (npsn, choice_status) in enumerate(zip(choices, statuses, strict=True), 1):
            self.pilihan.rows.append((row_id, rank, npsn, choice_status))

    def add_outsider(self, level: str, years: range) -> None:
        """A child from Kabupaten Tangerang or Tangerang Selatan applying to a city school."""
        age = _ENTRY_AGE[level] + self.current - self.rng.choice(years)
        child = self.city.outsider(self.rng, age_range=(age, age))
        year = min(max(entry_year(child.birth_date, level), years[0]), years[-1])
        assert self.city.names is not None
        parent = self.city.names.full_name(self.rng, self.rng.choice(("M", "F")))
        self.add(child, level, year, child.kk, parent, child.phone, outsider=True)
        self.outsiders += 1

    def _outcome(
        self, level: str, year: int, route: str, choices: int
    ) -> tuple[str, list[str | None]]:
        """The overall status and the status of each ranked choice."""
        rng = self.rng
        if year == self.current and rng.random() < 0.01:
            # Files the verifier never closed: the row still says so years later.
            return "VERIFIKASI", ["VERIFIKASI"] * choices
        statuses: list[str | None] = ["TIDAK_DITERIMA"] * choices
        accept = _ACCEPT_SHARE[level] + (0.1 if route == "AFIRMASI" else 0.0)
        draw = rng.random()
        if draw < accept:
            rank = min(choices, weighted(rng, ((1, 0.7), (2, 0.22), (3, 0.08))))
            # Choices below the one that accepted the child are never processed.
            statuses[rank - 1 :] = ["DITERIMA"] + [None] * (choices - rank)
            return "DITERIMA", statuses
        if draw < accept + 0.06:
            statuses[0] = "CADANGAN"
            return "CADANGAN", statuses
        return "TIDAK_DITERIMA", statuses

    def _nisn(self, birth: date, level: str) -> str | None:
        # Most SD applicants come from home or a TK that never registered them.
        if level == "SD" and self.rng.random() < 0.6:
            return None
        while True:
            nisn = f"{birth.year % 1000:03d}{self.rng.randrange(10**7):07d}"
            if nisn not in self.nisns:
                self.nisns.add(nisn)
                return nisn

    def _score(self, level: str, route: str) -> Decimal | None:
        """The report-card average SMP applicants upload; SD selects by age and distance."""
        if level == "SD":
            return None
        low = 8500 if route == "PRESTASI" else 7000
        return Decimal(self.rng.randint(low, 9900)).scaleb(-2)
