"""APK's rows as plain typed records, with the legacy codes turned into enums."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
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


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a request: its name and size (the file itself goes elsewhere)."""

    name: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class SubmitRequest:
    """What :func:`connectors.apk.writes.submit_request` is asked for.

    ``details`` are the answers the service type asks for
    (``connectors.apk.details.DETAILS``); ``nik`` and ``phone`` are as typed (checked,
    and stored clean). ``fingerprint`` is a digest of the request the client made
    (``connectors.idempotency.request_fingerprint``), stored with ``idempotency_key``.
    """

    kecamatan_code: str
    service_code: str
    details: Mapping[str, str]
    attachments: Sequence[Attachment]
    nik: str
    name: str
    phone: str | None
    idempotency_key: str
    fingerprint: str
