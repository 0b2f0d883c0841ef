"""What is left of each service's daily quota, and where a ticket stands in its queue.

Batch reads: one statement per call, whatever the number of services or tickets.
A ticket holds a place of its day's quota while it is waiting, called or served;
a cancelled ticket or a no-show gives it back, so capacity is derived from the
ticket counts and nothing else is ever written for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from connectors.antrian.catalogue import open_weekdays
from connectors.antrian.records import ACTIVE_STATUSES, QueuePosition, ServiceDay, TicketStatus
from connectors.base import unique_keys
from connectors.clock import local, wib_now

if TYPE_CHECKING:
    from connectors.base import SourceDB


def sequence_of(alias: str) -> str:
    """The daily sequence of ticket ``alias``: the digits after the letter ("A-042" is 42)."""
    return f"substring({alias}.nomor_tiket from '([0-9]+)$')::int"


SEQUENCE = sequence_of("t")
ACTIVE = [s.value for s in ACTIVE_STATUSES]
MAX_DAYS = 60
# When a service has served no one in the last 30 days: a usual counter visit.
DEFAULT_SERVICE_TIME = timedelta(minutes=10)

_DAYS = """
SELECT l.kode_layanan, l.kode_gerai, l.kuota_harian, l.aktif, g.hari_buka, g.jam_tutup,
       d.hari::date AS hari, count(t.id_tiket) AS terpakai
  FROM layanan l
  JOIN gerai g ON g.kode_gerai = l.kode_gerai
 CROSS JOIN generate_series($2::date, $3::date, interval '1 day') AS d(hari)
  LEFT JOIN tiket t ON t.kode_layanan = l.kode_layanan AND t.tanggal = d.hari::date
                   AND t.status = ANY($4::text[])
 WHERE l.kode_layanan = ANY($1::text[])
 GROUP BY l.kode_layanan, g.kode_gerai, d.hari
 ORDER BY l.kode_layanan, d.hari
"""

_POSITIONS = f"""
SELECT t.id_tiket, t.status,
       CASE WHEN t.status = 'MENUNGGU' THEN (
           SELECT count(*) FROM tiket o
            WHERE o.kode_layanan = t.kode_layanan AND o.tanggal = t.tanggal
              AND o.status = 'MENUNGGU'
              AND {sequence_of("o")} < {SEQUENCE}) ELSE 0 END AS didepan,
       (SELECT count(*) FROM loket k WHERE k.kode_layanan = t.kode_layanan) AS jumlah_loket,
       (SELECT avg(s.waktu_selesai - s.waktu_panggil) FROM tiket s
         WHERE s.kode_layanan = t.kode_layanan AND s.tanggal BETWEEN t.tanggal - 30 AND t.tanggal
           AND s.status = 'DILAYANI' AND s.waktu_selesai > s.waktu_panggil) AS rata_layanan
  FROM tiket t
 WHERE t.id_tiket = ANY($1::bigint[])
"""


def opens_on(opening_days: str, closes_at: time, day: date, now: datetime) -> bool:
    """Whether a centre whose ``hari_buka`` is ``opening_days`` still takes visitors on ``day``.

    A day before today, or today once ``jam_tutup`` has passed, is over. An
    ``hari_buka`` the product holds in a form no one can read opens no day: better to
    book no one than to book people into a closed centre.
    """
    wall = local(now)
    if day < wall.date() or (day == wall.date() and wall.time() >= closes_at):
        return False
    try:
        return day.isoweekday() in open_weekdays(opening_days)
    except ValueError:
        return False


async def service_days(
    db: SourceDB,
    service_codes: Sequence[str],
    *,
    days: int = 14,
    now: Callable[[], datetime] = wib_now,
) -> dict[str, list[ServiceDay]]:
    """Each service's capacity from today (WIB) over ``days`` days (1 to 60), in one statement.

    Keyed by service code, days in order; unknown codes are absent.
    """
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1 to {MAX_DAYS}, not {days}")
    moment = now()
    first = local(moment).date()
    rows = await db.fetch(
        _DAYS, unique_keys(service_codes), first, first + timedelta(days=days - 1), ACTIVE
    )
    out: dict[str, list[ServiceDay]] = {}
    for row in rows:
        is_open = row["aktif"] and opens_on(row["hari_buka"], row["jam_tutup"], row["hari"], moment)
        quota, taken = row["kuota_harian"], row["terpakai"]
        out.setdefault(row["kode_layanan"], []).append(
            ServiceDay(
                service_code=row["kode_layanan"],
                centre_code=row["kode_gerai"],
                day=row["hari"],
                open=is_open,
                quota=quota,
                taken=taken,
                remaining=max(0, quota - taken) if is_open else 0,
            )
        )
    return out


async def queue_positions(db: SourceDB, ticket_ids: Sequence[str]) -> dict[str, QueuePosition]:
    """Where each ticket found stands in its queue, in one statement, keyed by id as given.

    Non-numeric ids find none.
    """
    keys = unique_keys(int(i) for i in ticket_ids if i.isdigit() and len(i) < 19)
    out: dict[str, QueuePosition] = {}
    for row in await db.fetch(_POSITIONS, keys):
        status = TicketStatus(row["status"])
        counters = row["jumlah_loket"]
        average: timedelta = row["rata_layanan"] or DEFAULT_SERVICE_TIME
        ahead = row["didepan"]
        wait = average * ahead / max(counters, 1) if status is TicketStatus.WAITING else None
        out[str(row["id_tiket"])] = QueuePosition(
            ticket_id=str(row["id_tiket"]),
            status=status,
            ahead=ahead,
            counters=counters,
            average_service=_whole_seconds(average),
            estimated_wait=_whole_seconds(wait) if wait is not None else None,
        )
    return out


def _whole_seconds(span: timedelta) -> timedelta:
    return timedelta(seconds=round(span.total_seconds()))
