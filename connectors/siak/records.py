"""SIAK's rows as plain typed records, with the legacy codes turned into enums."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date


class Sex(enum.Enum):
    """jenis kelamin: L (laki-laki) or P (perempuan)."""

    MALE = "L"
    FEMALE = "P"


class MaritalStatus(enum.Enum):
    """status kawin."""

    SINGLE = "BELUM KAWIN"
    MARRIED = "KAWIN"
    DIVORCED = "CERAI HIDUP"
    WIDOWED = "CERAI MATI"


class FamilyRelationship(enum.Enum):
    """status hubungan dalam keluarga."""

    HEAD = "KEPALA KELUARGA"
    WIFE = "ISTRI"
    HUSBAND = "SUAMI"
    CHILD = "ANAK"
    PARENT = "ORANG TUA"
    OTHER = "FAMILI LAIN"


@dataclass(frozen=True, slots=True)
class Address:
    street: str | None
    rt: int | None
    rw: int | None
    kelurahan: str | None
    kecamatan_code: str | None
    kecamatan: str | None


@dataclass(frozen=True, slots=True)
class Profile:
    nik: str
    family_card_number: str
    full_name: str
    birth_place: str | None
    birth_date: date
    sex: Sex
    religion: str | None
    marital_status: MaritalStatus | None
    occupation: str | None
    education: str | None
    address: Address
    died_on: date | None = None  # the date on the death certificate (kematian), if registered


@dataclass(frozen=True, slots=True)
class FamilyMemberRecord:
    nik: str
    relationship: FamilyRelationship


@dataclass(frozen=True, slots=True)
class FamilyRecord:
    family_card_number: str
    head_nik: str
    address: Address
    issued: date | None
    members: tuple[FamilyMemberRecord, ...]
