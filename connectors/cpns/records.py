"""CPNS's rows as plain typed records, with the legacy codes turned into enums."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


class AdministrationResult(enum.Enum):
    """hasil seleksi administrasi."""

    ELIGIBLE = "MS"
    """MS: memenuhi syarat."""
    INELIGIBLE = "TMS"
    """TMS: tidak memenuhi syarat."""


class CivilServiceOutcome(enum.Enum):
    """status akhir seleksi CPNS."""

    PASSED = "LULUS"
    """lulus: appointed as CPNS."""
    FAILED = "TIDAK LULUS"
    """tidak lulus: below a passing grade, or not ranked into the SKB or the quota."""
    PASSED_NO_QUOTA = "P/L"
    """P/L: passed every stage but ranked below the formasi's quota."""
    INELIGIBLE = "TMS"
    """TMS: tidak memenuhi syarat at the administration stage."""


@dataclass(frozen=True, slots=True)
class SkdScores:
    """Seleksi Kompetensi Dasar: TWK, TIU and TKP; passed only if each reached its grade."""

    twk: int
    tiu: int
    tkp: int
    total: int
    passed: bool


@dataclass(frozen=True, slots=True)
class CivilServiceApplication:
    """One application to one formasi in one recruitment year.

    ``skd`` is ``None`` for applicants rejected at administration and for rows
    from before the computer-based test (2013), which were migrated without scores;
    ``skb_score`` only for those called to the SKB.
    """

    registration_number: str  # nomor peserta
    nik: str
    full_name: str
    year: int
    registered_on: date
    formation_code: str  # kode formasi
    position: str  # jabatan
    required_education: str  # pendidikan
    agency: str  # instansi
    administration: AdministrationResult | None
    skd: SkdScores | None
    skb_score: Decimal | None
    final_score: Decimal | None
    final_status: CivilServiceOutcome | None  # None while the results are not entered
    phone: str | None  # normalised to 08…
    email: str | None
