"""Antrian's rows as plain typed records, with the legacy codes turned into enums."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time


class TicketStatus(enum.Enum):
    """status tiket."""

    WAITING = "MENUNGGU"
    CALLED = "DIPANGGIL"
    SERVED = "DILAYANI"
    CANCELLED = "BATAL"
    NO_SHOW = "TIDAK_HADIR"


class TicketChannel(enum.Enum):
    """sumber: booked online (with a NIK) or taken at the centre's kiosk (walk-in)."""

    ONLINE = "ONLINE"
    WALK_IN = "WALKIN"


@dataclass(frozen=True, slots=True)
class Service:
    """layanan: one agency's service at a centre, with its ticket letter and daily quota."""

    code: str
    name: str
    agency: str  # instansi
    ticket_prefix: str
    daily_quota: int


@dataclass(frozen=True, slots=True)
class ServiceCentre:
    """gerai: a service centre of the MPP, its opening days and hours, its services."""

    code: str
    name: str
    address: str | None
    opening_days: str  # hari buka as posted, e.g. "Senin-Jumat"
    open_weekdays: tuple[int, ...]  # ISO weekdays, 1 = Monday
    opens_at: time
    closes_at: time
    services: tuple[Service, ...]


@dataclass(frozen=True, slots=True)
class QueueTicket:
    """tiket. Times are aware (WIB); ``nik`` and ``phone`` are clean, when given."""

    id: str
    number: str  # nomor tiket, e.g. "A-042"
    visit_date: date  # tanggal
    centre_code: str
    centre_name: str
    service_code: str
    service_name: str
    agency: str
    counter: str | None  # loket, once called
    status: TicketStatus
    channel: TicketChannel
    nik: str | None
    name: str | None
    phone: str | None  # canonical 08…
    taken_at: datetime
    called_at: datetime | None
    served_at: datetime | None
