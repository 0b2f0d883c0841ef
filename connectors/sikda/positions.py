"""The city government's personnel catalogue: ranks, career tracks, work units, structural posts.

SIKDa's seeder draws every civil servant from it, and CPNS's formasi of the
Pemerintah Kota Tangerang are the entry level of these tracks, so a teacher in
SIKDa passed a teacher's formasi in CPNS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from identity.regions import KECAMATAN, KELURAHAN

# Golongan ruang in order of seniority; an index into this tuple is a rank.
RANKS: tuple[str, ...] = (
    *(f"{group}/{room}" for group in ("I", "II", "III", "IV") for room in "abcd"),
    "IV/e",
)
RANK_INDEX = {code: i for i, code in enumerate(RANKS)}

# Education level as SIAK writes it -> 0 SLTA, 1 D-III, 2 D-IV/S-1.
EDUCATION_LEVEL = {"SLTA/SEDERAJAT": 0, "DIPLOMA III": 1, "DIPLOMA IV/STRATA I": 2}
# A new CPNS starts at II/a (SLTA), II/c (D-III) or III/a (S-1), and regular
# promotions every four years stop at a ceiling set by the same education.
ENTRY_RANK = (RANK_INDEX["II/a"], RANK_INDEX["II/c"], RANK_INDEX["III/a"])
RANK_CEILING = (RANK_INDEX["III/b"], RANK_INDEX["III/c"], RANK_INDEX["IV/a"])
# PPPK golongan by education (Perpres 98/2020): V for SLTA, VII for D-III, IX for S-1.
PPPK_GRADE = ("V", "VII", "IX")

Ladder = Literal["ahli", "keterampilan", "pelaksana"]


@dataclass(frozen=True, slots=True)
class Track:
    """A career track: its entry formasi, its jenjang by rank, where it works, its degrees."""

    key: str
    title: str
    ladder: Ladder
    level: int  # education level required (0 SLTA, 1 D-III, 2 S-1)
    requirement: str  # the formasi's "pendidikan" text
    unit_kind: str
    weight: int
    title_before: str | None = None
    title_after: str | None = None

    def position(self, rank: int) -> str:
        """The position title at ``rank`` (an index into RANKS): the jenjang follows golongan."""
        if self.ladder == "pelaksana":
            return self.title
        if self.ladder == "ahli":
            jenjang = "Ahli Pertama" if rank <= 9 else "Ahli Muda" if rank <= 11 else "Ahli Madya"
        else:
            jenjang = (
                "Pemula"
                if rank <= 5
                else "Terampil"
                if rank <= 7
                else "Mahir"
                if rank <= 9
                else "Penyelia"
            )
        return f"{self.title} {jenjang}"


# key, title, ladder, education level, formasi requirement, unit kind, weight, degrees
# fmt: off
_TRACK_ROWS: tuple[tuple[str, str, Ladder, int, str, str, int, str | None, str | None], ...] = (
    ("guru-sd", "Guru", "ahli", 2, "S-1 PGSD", "sd", 30, None, "S.Pd."),
    ("guru-smp", "Guru", "ahli", 2, "S-1 Pendidikan Matematika", "smp", 12, None, "S.Pd."),
    ("dokter", "Dokter", "ahli", 2, "Profesi Dokter", "health", 3, "dr.", None),
    ("ners", "Perawat", "ahli", 2, "S-1 Keperawatan/Ners", "rsud", 4, None, "S.Kep., Ners"),
    ("prakom", "Pranata Komputer", "ahli", 2, "S-1 Informatika", "opd", 2, None, "S.Kom."),
    ("analis", "Analis Kebijakan", "ahli", 2, "S-1 Administrasi Negara", "opd", 4, None, "S.AP."),
    ("auditor", "Auditor", "ahli", 2, "S-1 Akuntansi", "inspektorat", 1, None, "S.Ak."),
    ("penata", "Penata Layanan Operasional", "pelaksana", 2, "S-1 Semua Jurusan", "opd", 6,
     None, "S.Sos."),
    ("perawat", "Perawat", "keterampilan", 1, "D-III Keperawatan", "health", 8, None, "A.Md.Kep."),
    ("bidan", "Bidan", "keterampilan", 1, "D-III Kebidanan", "puskesmas", 5, None, "A.Md.Keb."),
    ("teknisi", "Pranata Komputer", "keterampilan", 1, "D-III Manajemen Informatika", "opd", 2,
     None, "A.Md.Kom."),
    ("pengolah", "Pengolah Data dan Informasi", "pelaksana", 1, "D-III Semua Jurusan", "opd", 6,
     None, "A.Md."),
    ("admin", "Pengadministrasi Perkantoran", "pelaksana", 0, "SLTA/Sederajat", "opd", 6,
     None, None),
    ("satpol", "Polisi Pamong Praja", "keterampilan", 0, "SLTA/Sederajat", "satpol", 3, None, None),
    ("damkar", "Pemadam Kebakaran", "keterampilan", 0, "SLTA/Sederajat", "damkar", 2, None, None),
    ("operator", "Operator Layanan Operasional", "pelaksana", 0, "SLTA/Sederajat", "opd", 3,
     None, None),
)
# fmt: on
TRACKS: tuple[Track, ...] = tuple(Track(*row) for row in _TRACK_ROWS)
TRACK_BY_KEY = {t.key: t for t in TRACKS}
TRACKS_BY_LEVEL: tuple[tuple[Track, ...], ...] = tuple(
    tuple(t for t in TRACKS if t.level == level) for level in range(3)
)


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit kerja; ``parent`` is the code of the OPD a school or puskesmas belongs to."""

    code: str
    name: str
    kind: str
    parent: str | None
    head: str | None = None  # the structural head's title, for OPDs and kecamatan
    secretary: str | None = None

    @property
    def opd(self) -> str:
        """The code of the OPD (perangkat daerah) the unit answers to."""
        return self.parent or self.code


# (name, kind, head's title, secretary's title)
_OPDS: tuple[tuple[str, str, str, str | None], ...] = (
    (
        "Sekretariat Daerah",
        "opd",
        "Sekretaris Daerah",
        "Asisten Pemerintahan dan Kesejahteraan Rakyat",
    ),
    ("Sekretariat DPRD", "opd", "Sekretaris DPRD", None),
    ("Inspektorat", "inspektorat", "Inspektur", "Sekretaris Inspektorat"),
    ("Badan Perencanaan Pembangunan Daerah", "opd", "Kepala Bappeda", "Sekretaris Bappeda"),
    ("Badan Pengelolaan Keuangan Daerah", "opd", "Kepala BPKD", "Sekretaris BPKD"),
    ("Badan Pendapatan Daerah", "opd", "Kepala Bapenda", "Sekretaris Bapenda"),
    (
        "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        "opd",
        "Kepala BKPSDM",
        "Sekretaris BKPSDM",
    ),
    ("Dinas Pendidikan", "opd", "Kepala Dinas Pendidikan", "Sekretaris Dinas Pendidikan"),
    ("Dinas Kesehatan", "opd", "Kepala Dinas Kesehatan", "Sekretaris Dinas Kesehatan"),
    (
        "Dinas Pekerjaan Umum dan Penataan Ruang",
        "opd",
        "Kepala Dinas PUPR",
        "Sekretaris Dinas PUPR",
    ),
    (
        "Dinas Kependudukan dan Pencatatan Sipil",
        "opd",
        "Kepala Disdukcapil",
        "Sekretaris Disdukcapil",
    ),
    ("Dinas Perhubungan", "opd", "Kepala Dinas Perhubungan", "Sekretaris Dinas Perhubungan"),
    ("Dinas Komunikasi dan Informatika", "opd", "Kepala Diskominfo", "Sekretaris Diskominfo"),
    ("Dinas Lingkungan Hidup", "opd", "Kepala Dinas Lingkungan Hidup", "Sekretaris DLH"),
    ("Dinas Sosial", "opd", "Kepala Dinas Sosial", "Sekretaris Dinas Sosial"),
    (
        "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
        "opd",
        "Kepala DPMPTSP",
        "Sekretaris DPMPTSP",
    ),
    ("Dinas Ketenagakerjaan", "opd", "Kepala Disnaker", "Sekretaris Disnaker"),
    ("Dinas Perpustakaan dan Kearsipan", "opd", "Kepala Dispusip", "Sekretaris Dispusip"),
    ("Satuan Polisi Pamong Praja", "satpol", "Kepala Satpol PP", "Sekretaris Satpol PP"),
    ("Dinas Pemadam Kebakaran dan Penyelamatan", "damkar", "Kepala Damkar", "Sekretaris Damkar"),
    (
        "RSUD Kota Tangerang",
        "rsud",
        "Direktur RSUD Kota Tangerang",
        "Wakil Direktur Umum dan Keuangan",
    ),
)
_BIDANG = ("Bidang Pelayanan", "Bidang Pembinaan dan Pengembangan", "Bidang Pengendalian")
_SEKSI = ("Subbagian Umum dan Kepegawaian", "Seksi Data dan Informasi", "Seksi Pengawasan")
_SEKSI_KECAMATAN = (
    "Seksi Pemerintahan",
    "Seksi Ketenteraman dan Ketertiban",
    "Seksi Kesejahteraan Sosial",
)
# One state SD per kelurahan and the 33 state SMP: the real city has about 380
# SD, but units only need to be believable, not complete.
_SMP_NUMBERS = 33


def units() -> tuple[Unit, ...]:
    """Every unit kerja, OPDs first, in a fixed order (codes are stable across runs)."""
    out: list[Unit] = []
    for n, (name, kind, head, secretary) in enumerate(_OPDS, start=1):
        out.append(Unit(f"{n:02d}.00", name, kind, None, head, secretary))
    by_name = {u.name: u.code for u in out}
    disdik, dinkes = by_name["Dinas Pendidikan"], by_name["Dinas Kesehatan"]
    for kec, kec_name in KECAMATAN.items():
        out.append(
            Unit(
                f"5{kec}.00",
                f"Kecamatan {kec_name}",
                "kecamatan",
                None,
                f"Camat {kec_name}",
                f"Sekretaris Kecamatan {kec_name}",
            )
        )
        out.append(Unit(f"{dinkes[:2]}.{kec}", f"Puskesmas {kec_name}", "puskesmas", dinkes))
        for k, kelurahan in enumerate(KELURAHAN[kec], start=1):
            out.append(Unit(f"{disdik[:2]}.{kec}{k}", f"SD Negeri {kelurahan} 1", "sd", disdik))
    for n in range(1, _SMP_NUMBERS + 1):
        out.append(Unit(f"{disdik[:2]}.9{n:02d}", f"SMP Negeri {n} Tangerang", "smp", disdik))
    return tuple(out)


def units_for(kind: str, catalogue: tuple[Unit, ...]) -> tuple[Unit, ...]:
    """The units a track of ``kind`` works in ("opd" means any office, kecamatan included)."""
    if kind == "opd":
        return tuple(u for u in catalogue if u.kind in ("opd", "kecamatan"))
    if kind == "health":
        return tuple(u for u in catalogue if u.kind in ("rsud", "puskesmas"))
    return tuple(u for u in catalogue if u.kind == kind)


@dataclass(frozen=True, slots=True)
class Post:
    """A structural post (jabatan struktural): one holder at a time, within a rank band."""

    title: str
    unit: Unit
    lowest: int  # rank indices
    highest: int


def structural_posts(catalogue: tuple[Unit, ...]) -> list[Post]:
    """The city's structural posts: heads, secretaries, bidang, seksi, camat, lurah."""
    iii_b, iii_c, iii_d = RANK_INDEX["III/b"], RANK_INDEX["III/c"], RANK_INDEX["III/d"]
    iv_a, iv_b, iv_c = RANK_INDEX["IV/a"], RANK_INDEX["IV/b"], RANK_INDEX["IV/c"]
    posts: list[Post] = []
    for unit in catalogue:
        if unit.kind == "kecamatan":
            assert unit.head is not None and unit.secretary is not None
            kec = unit.code[1:3]
            posts.append(Post(unit.head, unit, iii_d, iv_b))
            posts.append(Post(unit.secretary, unit, iii_c, iv_a))
            posts += [Post(f"Lurah {k}", unit, iii_c, iii_d) for k in KELURAHAN[kec]]
            posts += [Post(f"Kepala {s}", unit, iii_b, iii_d) for s in _SEKSI_KECAMATAN]
        elif unit.parent is None and unit.head is not None:
            posts.append(Post(unit.head, unit, iv_b, iv_c))
            if unit.secretary:
                posts.append(Post(unit.secretary, unit, iii_d, iv_b))
            posts += [Post(f"Kepala {b}", unit, iii_d, iv_a) for b in _BIDANG]
            posts += [Post(f"Kepala {s}", unit, iii_b, iii_d) for s in _SEKSI]
    return posts
