"""The agencies (instansi) residents apply to, their formasi, and the years recruitment ran."""

from __future__ import annotations

import random
from dataclasses import dataclass

from connectors.base import TableRows
from connectors.sikda.positions import ENTRY_RANK, TRACKS, Track

# The national CPNS recruitment ran most years until the 2011-2012 moratorium,
# then in 2013-2014, 2017-2019 and 2021, 2023, 2024 (none in 2020 or 2022).
PAST_ROUNDS: tuple[int, ...] = (*range(1980, 2011), 2013, 2014, 2017, 2018, 2019, 2021, 2023, 2024)
RECENT_ROUNDS: tuple[int, ...] = (2019, 2021, 2023, 2024)

PEMKOT = "3671"


@dataclass(frozen=True, slots=True)
class Template:
    """A formasi as an agency opens it every round: position, required education, level."""

    position: str
    requirement: str
    level: int  # 0 SLTA, 1 D-III, 2 S-1
    track: str | None = None  # the SIKDa career track, for the city's own formasi


def _city_templates() -> tuple[Template, ...]:
    # The city's formasi are the entry level of the careers SIKDa knows.
    def entry(t: Track) -> Template:
        return Template(t.position(ENTRY_RANK[t.level]), t.requirement, t.level, t.key)

    return tuple(entry(t) for t in TRACKS)


# code -> (name, PUSAT/DAERAH, formasi opened each round)
AGENCIES: dict[str, tuple[str, str, tuple[Template, ...]]] = {
    PEMKOT: ("Pemerintah Kota Tangerang", "DAERAH", _city_templates()),
    "3600": (
        "Pemerintah Provinsi Banten",
        "DAERAH",
        (
            Template("Analis Kebijakan Ahli Pertama", "S-1 Ilmu Pemerintahan", 2),
            Template("Perawat Terampil", "D-III Keperawatan", 1),
            Template("Pengadministrasi Perkantoran", "SLTA/Sederajat", 0),
        ),
    ),
    "1003": (
        "Kementerian Hukum dan HAM",
        "PUSAT",
        (
            Template("Analis Keimigrasian Ahli Pertama", "S-1 Hukum", 2),
            Template("Penjaga Tahanan", "SLTA/Sederajat", 0),
        ),
    ),
    "1025": (
        "Kementerian Agama",
        "PUSAT",
        (
            Template("Guru Pendidikan Agama Islam Ahli Pertama", "S-1 Pendidikan Agama Islam", 2),
            Template("Penghulu Ahli Pertama", "S-1 Hukum Islam", 2),
        ),
    ),
    "1015": (
        "Kementerian Keuangan",
        "PUSAT",
        (
            Template("Penata Laporan Keuangan", "S-1 Akuntansi", 2),
            Template("Pemeriksa Bea dan Cukai Pelaksana", "D-III Kepabeanan dan Cukai", 1),
        ),
    ),
    "2004": (
        "Badan Pusat Statistik",
        "PUSAT",
        (
            Template("Statistisi Ahli Pertama", "S-1 Statistika", 2),
            Template("Pranata Komputer Terampil", "D-III Manajemen Informatika", 1),
        ),
    ),
    "4006": (
        "Kejaksaan Republik Indonesia",
        "PUSAT",
        (
            Template("Jaksa Ahli Pertama", "S-1 Hukum", 2),
            Template("Pengawal Tahanan", "SLTA/Sederajat", 0),
        ),
    ),
    "1022": (
        "Kementerian Perhubungan",
        "PUSAT",
        (
            Template("Penguji Kendaraan Bermotor Terampil", "D-III Teknik Otomotif", 1),
            Template("Operator Layanan Operasional", "SLTA/Sederajat", 0),
        ),
    ),
}
OTHER_AGENCIES = tuple(code for code in AGENCIES if code != PEMKOT)


class Formations:
    """The formasi actually applied to, created on first use, with their LULUS counts.

    The CPNS database is the city's window on a national selection: a formasi's
    quota is shared with applicants from all over the country, so it is at least
    the number of residents who passed it, and often more.
    """

    def __init__(self) -> None:
        self.rows: dict[str, list[object]] = {}
        self.passed: dict[str, int] = {}
        # Per agency and education level: (indices of formasi at that level, at lower levels).
        self._fitting: dict[tuple[str, int], tuple[list[int], list[int]]] = {
            (code, level): (
                [i for i, t in enumerate(templates) if t.level == level],
                [i for i, t in enumerate(templates) if t.level < level],
            )
            for code, (_, _, templates) in AGENCIES.items()
            for level in range(3)
        }

    def code(self, year: int, agency: str, index: int, *, passed: bool = False) -> str:
        """The formasi code of ``index`` in ``agency``'s round ``year``, registering it."""
        code = f"{year}{agency}{index:03d}"
        if code not in self.rows:
            template = AGENCIES[agency][2][index]
            self.rows[code] = [code, year, agency, template.position, template.requirement]
            self.passed[code] = 0
        if passed:
            self.passed[code] += 1
        return code

    def pick(self, rng: random.Random, agency: str, level: int) -> int | None:
        """A formasi of ``agency`` the applicant qualifies for, mostly at their own level."""
        same, lower = self._fitting[(agency, level)]
        pool = same if same and (not lower or rng.random() < 0.8) else lower
        return rng.choice(pool) if pool else None

    def table(self, rng: random.Random) -> TableRows:
        """The formasi rows, with a quota no smaller than the residents who passed."""
        out = TableRows(
            ("kode_formasi", "tahun", "kode_instansi", "jabatan", "pendidikan", "kuota")
        )
        for code, row in self.rows.items():
            passed = self.passed[code]
            out.rows.append(
                (*row, passed + rng.choice((0, 0, 1, 2, 5)) if passed else rng.randint(1, 6))
            )
        return out


def agencies_table() -> TableRows:
    """The instansi rows."""
    out = TableRows(("kode_instansi", "nama_instansi", "jenis_instansi"))
    out.rows = [(code, name, kind) for code, (name, kind, _) in AGENCIES.items()]
    return out
