"""SIKDa's synthetic rows: every resident whose occupation is PNS or PPPK, and some neighbours.

A PNS's CPNS start comes from CPNS's export (the year after the round they
passed), so the NIP, the first rank and the first position agree with the
application the hub shows beside it. PPPK were appointed from 2022 on. The
neighbours are the applicants from outside the city who passed the city's formasi.
Exports ``nips`` ((nip, nik) pairs) and each NIP's posting for SIPBD.

A few NIPs deliberately disagree with their holder's NIK, as when BKPSDM typed a
wrong birth date or sex into the number: counted in ``messy``
(``nip_birth_date_differs``, ``nip_sex_differs``), chosen from a stream of their own.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import accumulate
from typing import TYPE_CHECKING

from connectors.base import SeedRows, Source, TableRows
from connectors.city import REFERENCE_DATE
from connectors.mess import ONLY_62, LegacyMess, conflict_count
from connectors.sikda.careers import Career, FreePosts, pns_career, pppk_career
from connectors.sikda.positions import (
    EDUCATION_LEVEL,
    TRACK_BY_KEY,
    TRACKS_BY_LEVEL,
    Track,
    structural_posts,
    units,
    units_for,
)

if TYPE_CHECKING:
    import random

    from connectors.city import City, Person

_PPPK_STARTS = (2022, 2023, 2024, 2025)
_PPPK_MONTHS = (1, 3, 4, 6)
_SEPARATOR_SHARE = 0.03
_PHONE_REFORMAT_SHARE = 0.2


def seed(city: City, earlier: dict[Source, SeedRows]) -> SeedRows:
    """Every employable PNS/PPPK resident and out-of-city recruit, with histories and NIPs."""
    rng = city.rng("sikda")
    cpns = earlier[Source.CPNS].exports
    starts: dict[str, tuple[int, int]] = cpns["cpns_start"]
    tracks: dict[str, str] = cpns["cpns_track"]
    staff = _Staff(rng)
    staff.born_differs, staff.sex_differs = _misnumbered(city, starts)
    for person in city.people:
        level = EDUCATION_LEVEL.get(person.education)
        if person.occupation == "PEGAWAI NEGERI SIPIL":
            start = starts.get(person.nik)
            if start is None or level is None:
                # SIAK says PNS, but they were never old enough to pass a round.
                continue
            staff.add(person, level, TRACK_BY_KEY[tracks[person.nik]], date(*start, 1), pns=True)
        elif person.occupation == "PPPK":
            year = _pppk_start(rng, person.birth_date.year)
            if year is None or level is None:
                # SIAK says PPPK, but no PPPK round could have taken them at their age.
                continue
            appointed = date(year, rng.choice(_PPPK_MONTHS), 1)
            staff.add(person, level, staff.track(level), appointed, pns=False)
    for outsider, (year, month), track in cpns["outsider_recruits"]:
        staff.add(outsider, 0, TRACK_BY_KEY[track], date(year, month, 1), pns=True, outsider=True)
    catalogue = units()
    unit_rows = TableRows(("kode_unit", "nama_unit", "kode_induk"))
    unit_rows.rows = [(u.code, u.name, u.parent) for u in catalogue]
    return SeedRows(
        tables={
            "unit_kerja": unit_rows,
            "pegawai": staff.pegawai,
            "riwayat_pangkat": staff.pangkat,
            "riwayat_jabatan": staff.jabatan,
        },
        messy={
            "nik_with_separators": staff.mess.nik_with_separators,
            "out_of_city": staff.outsiders,
            "phone_reformatted": staff.mess.phone_reformatted,
            "nip_birth_date_differs": len(staff.born_differs),
            "nip_sex_differs": len(staff.sex_differs),
        },
        exports={"nips": staff.nips, "postings": staff.postings},
    )


def _misnumbered(city: City, starts: dict[str, tuple[int, int]]) -> tuple[set[str], set[str]]:
    """The NIKs whose NIP is given a wrong birth date, and those given the wrong sex.

    Chosen among the PNS residents SIKDa is sure to hold (those with a CPNS start),
    never a showcase family's, from a stream of their own.
    """
    rng = city.rng("sikda:identity")
    showcase = {m.nik for f in city.showcase for m in f.members}
    eligible = [
        p.nik
        for p in city.people
        if p.occupation == "PEGAWAI NEGERI SIPIL"
        and p.nik in starts
        and EDUCATION_LEVEL.get(p.education) is not None
        and p.nik not in showcase
    ]
    count = min(conflict_count(len(city.people)), len(eligible) // 2)
    chosen = rng.sample(eligible, 2 * count)
    return set(chosen[:count]), set(chosen[count:])


def _pppk_start(rng: random.Random, born: int) -> int | None:
    """A PPPK appointment year, selected the year before at 20-59 (or at least 18)."""
    for low in (20, 18):
        fitting = [y for y in _PPPK_STARTS if low <= y - 1 - born <= 59]
        if fitting:
            return rng.choice(fitting)
    return None


class _Staff:
    """The pegawai rows and their histories, NIP serials, and the mess counted as made."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.catalogue = units()
        self.units = {kind: units_for(kind, self.catalogue) for kind in _unit_kinds()}
        self.opd_names = {u.code: u.name for u in self.catalogue if u.parent is None}
        self.posts = FreePosts(structural_posts(self.catalogue))
        self._weights = [list(accumulate(t.weight for t in ts)) for ts in TRACKS_BY_LEVEL]
        self.serials: dict[str, int] = {}
        self.pegawai = TableRows(
            (
                "nip",
                "nik",
                "nama",
                "gelar_depan",
                "gelar_belakang",
                "tempat_lahir",
                "tanggal_lahir",
                "jenis_kelamin",
                "status_pegawai",
                "golongan",
                "tmt_golongan",
                "jabatan",
                "jenis_jabatan",
                "kode_unit",
                "tmt_jabatan",
                "tmt_cpns",
                "tmt_pns",
                "tmt_pppk",
                "no_hp",
            )
        )
        self.pangkat = TableRows(("nip", "golongan", "tmt_golongan", "nomor_sk"))
        self.jabatan = TableRows(
            ("nip", "urutan", "jabatan", "jenis_jabatan", "kode_unit", "tmt_jabatan")
        )
        self.nips: list[tuple[str, str]] = []
        self.postings: dict[str, tuple[str, str, bool]] = {}
        self.outsiders = 0
        # NIKs whose NIP deliberately disagrees with them (see _misnumbered).
        self.born_differs: set[str] = set()
        self.sex_differs: set[str] = set()
        self.mess = LegacyMess(
            rng, nik_share=_SEPARATOR_SHARE, phone_share=_PHONE_REFORMAT_SHARE, phone_styles=ONLY_62
        )

    def track(self, level: int) -> Track:
        """A career track for someone of ``level``, weighted as the city employs them."""
        return self.rng.choices(TRACKS_BY_LEVEL[level], cum_weights=self._weights[level])[0]

    def add(
        self,
        person: Person,
        level: int,
        track: Track,
        start: date,
        *,
        pns: bool,
        outsider: bool = False,
    ) -> None:
        rng = self.rng
        unit = rng.choice(self.units[track.unit_kind])
        if pns:
            career = pns_career(rng, start, level, track, unit, self.posts)
        else:
            career = pppk_career(rng, start, level, track, unit)
        nip = self._nip(person, start, pns)
        self._rows(nip, person, career, start, pns, track)
        self.outsiders += outsider
        self.nips.append((nip, person.nik))
        _, kind, current, _ = career.positions[-1]
        self.postings[nip] = (self.opd_names[current.opd], current.name, kind == "1")

    def _nip(self, person: Person, start: date, pns: bool) -> str:
        # PPPK numbers put the appointment year and "21" where a PNS has yyyymm.
        started = f"{start:%Y%m}" if pns else f"{start.year}21"
        born = person.birth_date
        if person.nik in self.born_differs:
            born -= timedelta(days=365)  # a year early: the NIP stays valid for its start
        male = (person.sex == "M") != (person.nik in self.sex_differs)
        prefix = f"{born:%Y%m%d}{started}{1 if male else 2}"
        self.serials[prefix] = serial = self.serials.get(prefix, 0) + 1
        return f"{prefix}{serial:03d}"

    def _rows(
        self, nip: str, person: Person, career: Career, start: date, pns: bool, track: Track
    ) -> None:
        rng = self.rng
        rank, rank_since = career.ranks[-1]
        title, kind, unit, since = career.positions[-1]
        pns_since = date(start.year + 1, start.month, 1) if pns else None
        self.pegawai.rows.append(
            (
                nip,
                self.mess.nik(person.nik),
                person.name.title(),
                track.title_before,
                track.title_after,
                person.birth_place.title(),
                person.birth_date,
                "L" if person.sex == "M" else "P",
                "PNS" if pns else "PPPK",
                rank,
                rank_since,
                title,
                kind,
                unit.code,
                since,
                start if pns else None,
                pns_since if pns_since and pns_since <= REFERENCE_DATE else None,
                None if pns else start,
                self.mess.phone(person.phone),
            )
        )
        for golongan, held_since in career.ranks:
            decree = f"{'813.3' if held_since == start else '823.3'}/{rng.randint(100, 9999)}"
            self.pangkat.rows.append(
                (nip, golongan, held_since, f"{decree}-BKPSDM/{held_since.year}")
            )
        for order, (held, held_kind, held_unit, held_since) in enumerate(career.positions, 1):
            self.jabatan.rows.append((nip, order, held, held_kind, held_unit.code, held_since))


def _unit_kinds() -> tuple[str, ...]:
    return tuple(sorted({t.unit_kind for ts in TRACKS_BY_LEVEL for t in ts}))
