"""APK's rows as plain typed records, with the legacy codes turned into enums."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class RequestStatus(enum.Enum):
    """status permohonan."""

    SUBMITTED = "DIAJUKAN"
    VERIFIED = "DIVERIFIKASI"
    IN_PROCESS = "DIPROSES"
    COMPLETED = "SELESAI"
    REJECTED = "DITOLAK"


@dataclass(frozen=True, slots=True)
class DistrictServiceType:
    """jenis layanan: one service the kecamatan offices offer."""

    code: str
    name: str
    processing_days: int
    requirements: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StatusChange:
    """riwayat status: one step of a request, in the office's own words."""

    status: RequestStatus
    at: datetime
    note: str | None


@dataclass(frozen=True, slots=True)
class DistrictRequest:
    """permohonan: one request to a kecamatan office.

    ``submitted_at`` and the history times are Western Indonesia Time (WIB), as
    the product records them. ``phone`` is in the 08… form whatever was typed.
    """

    number: str
    nik: str
    service_code: str
    service_name: str
    kecamatan_code: str
    kecamatan: str | None
    purpose: str | None
    phone: str | None
    submitted_at: datetime
    status: RequestStatus
    history: tuple[StatusChange, ...]
