"""CPNS's synthetic rows: four recent recruitment rounds, and every civil servant's old pass.

Residents aged 20-35 in a round (2019, 2021, 2023, 2024) apply to one formasi
each; most fail the SKD, as in the real selection. Every resident who is a PNS
today passed a round of the city's own formasi the year before their CPNS start;
that start is exported as ``cpns_start`` so SIKDa's NIPs agree with it. A few
applicants come from the neighbouring regencies, some of whom joined the city.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import TYPE_CHECKING

from connectors.base import SeedRows, Source, TableRows
from connectors.city import REFERENCE_DATE
from connectors.cpns.formations import (
    OTHER_AGENCIES,
    PAST_ROUNDS,
    PEMKOT,
    RECENT_ROUNDS,
    Formations,
    agencies_table,
)
from connectors.mess import ONLY_62, LegacyMess
from connectors.sikda.positions import EDUCATION_LEVEL, TRACKS, TRACKS_BY_LEVEL

if TYPE_CHECKING:
    import random

    from connectors.city import City, Person

PASSING_GRADES = (65, 80, 166)  # TWK, TIU, TKP
_APPLY_SHARE = 0.06  # of residents aged 20-35, per round
_CITY_AGENCY_SHARE = 0.35
_OUT_OF_CITY_SHARE = 0.04
_OUTSIDER_RECRUIT_SHARE = 0.08
_SEPARATOR_SHARE = 0.03
_PHONE_REFORMAT_SHARE = 0.25
_CAT_SINCE = 2013  # the computer-based SKD; older rows were migrated without scores
_START_MONTHS = (1, 3, 4, 6)
_REGISTRATION_OPENS = {2019: (11, 11), 2021: (6, 30), 2023: (9, 20), 2024: (8, 20)}
_EMAIL_DOMAINS = ("gmail.com", "gmail.com", "gmail.com", "yahoo.co.id", "yahoo.com")

# What the seeder decides an application's outcome will be before drawing scores.
_RANDOM, _PASS, _FAIL_SKD = "random", "pass", "fail-skd"


def pass_year(rng: random.Random, born: int) -> int | None:
    """The round a civil servant born in ``born`` passed: aged 20-35 then, or 18-19 if
    nothing else fits (the legal minimum); ``None`` if they were never old enough."""
    for low in (20, 18):
        fitting = [y for y in PAST_ROUNDS if low <= y - born <= 35]
        if fitting:
            return rng.choice(fitting)
    return None


def seed(city: City, earlier: dict[Source, SeedRows]) -> SeedRows:
    """Applications of the recent rounds and every PNS resident's pass; exports their starts."""
    rng = city.rng("cpns")
    apps = _Applications(rng)
    starts: dict[str, tuple[int, int]] = {}
    tracks: dict[str, str] = {}
    eldest_sons = {id(f.members[4]) for f in city.showcase if len(f.members) > 4}
    for person in city.people:
        level = EDUCATION_LEVEL.get(person.education)
        if level is None:
            continue
        born = person.birth_date.year
        passed_in = None
        if person.occupation == "PEGAWAI NEGERI SIPIL":
            passed_in = 2024 if id(person) in eldest_sons else pass_year(rng, born)
        if id(person) in eldest_sons:
            # The demo shows the eldest son's first try, in the 2024 round.
            if passed_in is None:
                apps.add(person, 2024, level, _FAIL_SKD)
        else:
            for year in RECENT_ROUNDS:
                if passed_in is not None and year >= passed_in:
                    break
                if 20 <= year - born <= 35 and rng.random() < _APPLY_SHARE:
                    apps.add(person, year, level, _RANDOM)
        if passed_in is not None:
            tracks[person.nik] = apps.add(person, passed_in, level, _PASS)
            starts[person.nik] = (passed_in + 1, rng.choice(_START_MONTHS))
    recruits: list[tuple[Person, tuple[int, int], str]] = []
    outsiders = round(len(apps.pelamar.rows) * _OUT_OF_CITY_SHARE / (1 - _OUT_OF_CITY_SHARE))
    for n in range(max(2, outsiders)):
        year = rng.choice(RECENT_ROUNDS)
        age_now = REFERENCE_DATE.year - year
        outsider = city.outsider(rng, age_range=(21 + age_now, 34 + age_now))
        # Some neighbours passed the city's own formasi and now work for it (SIKDa).
        recruit = n < max(1, round(outsiders * _OUTSIDER_RECRUIT_SHARE))
        track = apps.add(outsider, year, 0, _PASS if recruit else _RANDOM, outsider=True)
        if recruit:
            recruits.append((outsider, (year + 1, rng.choice(_START_MONTHS)), track))
    return SeedRows(
        tables={
            "instansi": agencies_table(),
            "formasi": apps.formations.table(rng),
            "pelamar": apps.pelamar,
            "hasil_seleksi": apps.hasil,
        },
        messy={
            "nik_with_separators": apps.mess.nik_with_separators,
            "out_of_city": apps.outsiders,
            "phone_reformatted": apps.mess.phone_reformatted,
        },
        exports={"cpns_start": starts, "cpns_track": tracks, "outsider_recruits": recruits},
    )


class _Applications:
    """The pelamar and hasil_seleksi rows, and the mess counted as it is made."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.formations = Formations()
        self.pelamar = TableRows(
            (
                "nomor_peserta",
                "nik",
                "nama",
                "tanggal_lahir",
                "jenis_kelamin",
                "tahun",
                "kode_formasi",
                "no_hp",
                "email",
                "tgl_daftar",
            )
        )
        self.hasil = TableRows(
            (
                "nomor_peserta",
                "status_administrasi",
                "skd_twk",
                "skd_tiu",
                "skd_tkp",
                "skd_total",
                "lulus_skd",
                "nilai_skb",
                "nilai_akhir",
                "status_akhir",
            )
        )
        self.serials: dict[str, int] = {}
        self.outsiders = 0
        self.mess = LegacyMess(
            rng, nik_share=_SEPARATOR_SHARE, phone_share=_PHONE_REFORMAT_SHARE, phone_styles=ONLY_62
        )
        self._city_tracks = [
            (
                [TRACKS.index(t) for t in TRACKS_BY_LEVEL[level]],
                list(accumulate(t.weight for t in TRACKS_BY_LEVEL[level])),
            )
            for level in range(3)
        ]

    def add(
        self, person: Person, year: int, level: int, outcome: str, *, outsider: bool = False
    ) -> str:
        """Add one application; returns the SIKDa track of its formasi ("" if not the city's)."""
        rng = self.rng
        if outcome == _PASS:
            agency = PEMKOT
            indices, weights = self._city_tracks[level]
            index: int | None = rng.choices(indices, cum_weights=weights)[0]
        else:
            agency = PEMKOT if rng.random() < _CITY_AGENCY_SHARE else rng.choice(OTHER_AGENCIES)
            index = self.formations.pick(rng, agency, level)
            if index is None:  # this agency opened nothing for their education
                agency = PEMKOT
                index = self.formations.pick(rng, agency, level)
        assert index is not None
        formasi = self.formations.code(year, agency, index, passed=outcome == _PASS)
        serial_key = f"{year % 100:02d}{agency}"
        self.serials[serial_key] = serial = self.serials.get(serial_key, 0) + 1
        number = f"{serial_key}{serial:07d}"
        self.outsiders += outsider
        self.pelamar.rows.append(
            (
                number,
                self.mess.nik(person.nik),
                person.name,
                person.birth_date,
                "L" if person.sex == "M" else "P",
                year,
                formasi,
                self.mess.phone(person.phone),
                self._email(person.name),
                self._registered(year),
            )
        )
        self.hasil.rows.append((number, *_stages(rng, year, outcome)))
        return TRACKS[index].key if agency == PEMKOT else ""

    def _email(self, name: str) -> str:
        words = name.lower().replace("'", "").split()
        domain = self.rng.choice(_EMAIL_DOMAINS)
        return f"{words[0]}.{words[-1]}{self.rng.randint(1, 99)}@{domain}"

    def _registered(self, year: int) -> date:
        month, day = _REGISTRATION_OPENS.get(year, (10, 1))
        return date(year, month, day) + timedelta(days=self.rng.randrange(21))


def _stages(rng: random.Random, year: int, outcome: str) -> tuple[object, ...]:
    """administrasi, TWK, TIU, TKP, total, SKD passed, SKB, final score, final status."""
    if outcome == _PASS and year < _CAT_SINCE:
        return ("MS", None, None, None, None, None, None, None, "LULUS")
    if outcome == _RANDOM and rng.random() < 0.08:
        return ("TMS", None, None, None, None, None, None, None, "TMS")
    if outcome == _PASS:
        twk, tiu, tkp = 5 * rng.randint(14, 26), 5 * rng.randint(17, 30), rng.randint(168, 205)
    else:
        twk = 5 * min(30, max(0, round(rng.gauss(17.5, 4))))
        tiu = 5 * min(35, max(0, round(rng.gauss(18, 5))))
        tkp = min(225, max(45, round(rng.gauss(170, 14))))
        if outcome == _FAIL_SKD:
            tiu = 5 * rng.randint(9, 15)  # short of the 80 TIU grade
    total = twk + tiu + tkp
    passed = all(s >= g for s, g in zip((twk, tiu, tkp), PASSING_GRADES, strict=True))
    skd = ("MS", twk, tiu, tkp, total, passed)
    if not passed:
        return (*skd, None, None, "TIDAK LULUS")
    if outcome != _PASS and rng.random() < 0.5:
        # Only three times the quota, best SKD first, are called to the SKB.
        return (*skd, None, None, "TIDAK LULUS")
    skb = rng.uniform(75, 95) if outcome == _PASS else rng.uniform(45, 85)
    final = 0.4 * total / 550 * 100 + 0.6 * skb
    # Without the quota, those with a good SKB wait as P/L for a later optimisation round.
    status = "LULUS" if outcome == _PASS else "P/L" if skb >= 70 else "TIDAK LULUS"
    return (*skd, Decimal(f"{skb:.2f}"), Decimal(f"{final:.3f}"), status)
