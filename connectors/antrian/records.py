"""Antrian's rows as plain typed records, with the legacy codes turned into enums."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta


class TicketStatus(enum.Enum):
    """status tiket."""

    WAITING = "MENUNGGU"
    CALLED = "DIPANGGIL"
    SERVED = "DILAYANI"
    CANCELLED = "BATAL"
    NO_SHOW = "TIDAK_HADIR"


# The tickets that hold a place of the day's quota: not cancelled, not a no-show.
ACTIVE_STATUSES = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVED)


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
class Counter:
    """loket: a counter of a centre, serving one service."""

    code: str
    name: str
    service_code: str


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
    counters: tuple[Counter, ...] = ()


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


@dataclass(frozen=True, slots=True)
class BookingRequest:
    """What :func:`connectors.antrian.writes.book_ticket` is asked for.

    ``phone`` and ``nik`` are as typed (checked and stored clean); ``nik`` is ``None``
    for a walk-in an officer books with a phone only. ``channel`` is the ``sumber``
    written: ``ONLINE`` (a citizen's own booking, which needs a NIK) or ``WALK_IN``
    (booked at the centre). ``fingerprint`` is a digest of the request the client made
    (see ``connectors.idempotency.request_fingerprint``), stored with ``idempotency_key``.
    """

    centre_code: str
    service_code: str
    visit_date: date
    phone: str
    nik: str | None
    name: str | None
    channel: TicketChannel
    idempotency_key: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class ServiceDay:
    """How many tickets a service can still give on one day.

    ``open``: the centre opens that day (``hari_buka``), the day is not over (before
    ``jam_tutup`` when it is today) and the service is active. ``taken`` counts the
    active tickets (waiting, called, served); ``remaining`` is what is left of the
    quota, 0 on a day that is not open.
    """

    service_code: str
    centre_code: str
    day: date
    open: bool
    quota: int
    taken: int
    remaining: int


@dataclass(frozen=True, slots=True)
class QueuePosition:
    """Where a ticket stands in its day's queue.

    ``ahead`` counts the waiting tickets of the same service and day with a lower
    number (0 once the ticket is called or over). ``estimated_wait`` is ``ahead`` times
    ``average_service`` shared by the service's ``counters``, while the ticket waits;
    ``None`` otherwise. ``average_service`` is the mean time from call to served over
    the service's last 30 days, or a default when it served no one then.
    """

    ticket_id: str
    status: TicketStatus
    ahead: int
    counters: int
    average_service: timedelta
    estimated_wait: timedelta | None
