"""PSB's rows as plain typed records, with the legacy codes turned into enums."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date


class SchoolLevel(enum.Enum):
    """jenjang: SD (sekolah dasar) or SMP (sekolah menengah pertama)."""

    PRIMARY = "SD"
    JUNIOR_HIGH = "SMP"


class AdmissionRoute(enum.Enum):
    """jalur pendaftaran."""

    DOMICILE = "DOMISILI"
    """domisili (formerly zonasi): distance from home to school."""
    AFFIRMATION = "AFIRMASI"
    """afirmasi: children of low-income families and children with disabilities."""
    TRANSFER = "MUTASI"
    """mutasi: a parent's job transfer into the city."""
    ACHIEVEMENT = "PRESTASI"
    """prestasi: report-card average or competition results (SMP only)."""


class SelectionStatus(enum.Enum):
    """status seleksi."""

    UNDER_VERIFICATION = "VERIFIKASI"
    ACCEPTED = "DITERIMA"
    RESERVE = "CADANGAN"
    NOT_ACCEPTED = "TIDAK_DITERIMA"


@dataclass(frozen=True, slots=True)
class School:
    """sekolah: a state school taking part in PSB."""

    npsn: str
    name: str
    level: SchoolLevel
    kecamatan: str


@dataclass(frozen=True, slots=True)
class SchoolChoice:
    """pilihan sekolah: one ranked choice and how it ended.

    ``status`` is ``None`` for choices never processed because the applicant was
    accepted at a higher-ranked one.
    """

    rank: int
    school: School
    status: SelectionStatus | None


@dataclass(frozen=True, slots=True)
class SchoolAdmission:
    """pendaftar: one application, for one level, in one admission year."""

    nik: str
    registration_number: str
    admission_year: int
    academic_year: str
    registered_on: date
    level: SchoolLevel
    route: AdmissionRoute
    nisn: str | None
    family_card_number: str | None
    distance_metres: int | None
    score: float | None
    status: SelectionStatus
    choices: tuple[SchoolChoice, ...]
    accepted_school: School | None
