"""What the centre's counter staff do to tickets, as the product's counter screen does.

A counter (loket) calls the next waiting ticket of its service today
(``DIPANGGIL``, with the loket and the call time), then marks it served
(``DILAYANI``, with the time) or a no-show (``TIDAK_HADIR``). The hub uses these for
the demo (``citizen-hub counter``); they write only the columns the product writes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

from connectors.antrian.capacity import SEQUENCE
from connectors.antrian.reads import BY_ID_SQL, TICKET_SELECT, ticket_from_row
from connectors.antrian.records import QueueTicket
from connectors.base import WriteRefused
from connectors.clock import local, wib_now

if TYPE_CHECKING:
    from connectors.base import SourceDB


class CounterRefused(WriteRefused):
    """A counter action refused; nothing changed.

    Fields and rules: ``loket`` unknown_counter; ``ticket_id`` not_found;
    ``status`` not_called (serve and skip need a called ticket).
    """


# The lowest number still waiting for the counter's service that day, taken by one
# counter only: another calling at the same moment skips the row this one locked.
_CALL_NEXT = f"""
WITH berikut AS (
    SELECT t.id_tiket
      FROM tiket t
      JOIN loket k ON k.kode_layanan = t.kode_layanan
     WHERE k.kode_loket = $1 AND t.tanggal = $2 AND t.status = 'MENUNGGU'
     ORDER BY {SEQUENCE}, t.id_tiket
     LIMIT 1
       FOR UPDATE OF t SKIP LOCKED
)
UPDATE tiket t SET status = 'DIPANGGIL', kode_loket = $1, waktu_panggil = $3
  FROM berikut
 WHERE t.id_tiket = berikut.id_tiket
RETURNING t.id_tiket
"""
_COUNTER = "SELECT kode_layanan FROM loket WHERE kode_loket = $1"
_SERVE = """
UPDATE tiket SET status = 'DILAYANI', waktu_selesai = $2
 WHERE id_tiket = $1 AND status = 'DIPANGGIL'
RETURNING id_tiket
"""
_SKIP = """
UPDATE tiket SET status = 'TIDAK_HADIR'
 WHERE id_tiket = $1 AND status = 'DIPANGGIL'
RETURNING id_tiket
"""
_QUEUE = f"""{TICKET_SELECT}
 WHERE t.kode_layanan = $1 AND t.tanggal = $2 AND t.status IN ('MENUNGGU', 'DIPANGGIL')
 ORDER BY {SEQUENCE}, t.id_tiket
"""


async def call_next(
    db: SourceDB,
    counter: str,
    *,
    day: date | None = None,
    now: Callable[[], datetime] = wib_now,
) -> QueueTicket | None:
    """Call the next waiting ticket of ``counter``'s service on ``day`` (default: today,
    WIB) to that counter and return it called; ``None`` when no one is waiting.

    Raises :class:`CounterRefused` for a counter that does not exist.
    """
    moment = local(now())
    rows = await db.fetch(_CALL_NEXT, counter, day or moment.date(), moment)
    if not rows:
        if not await db.fetch(_COUNTER, counter):
            raise CounterRefused("loket", "unknown_counter", f"there is no counter {counter!r}")
        return None
    return await _read(db, rows[0]["id_tiket"])


async def serve_ticket(
    db: SourceDB, ticket_id: str, *, now: Callable[[], datetime] = wib_now
) -> QueueTicket:
    """Mark a called ticket served now and return it; :class:`CounterRefused` otherwise."""
    return await _finish(db, _SERVE, ticket_id, local(now()))


async def skip_ticket(db: SourceDB, ticket_id: str) -> QueueTicket:
    """Mark a called ticket a no-show (its holder did not come) and return it.

    The product records no time for a no-show: the call time stays the last.
    """
    return await _finish(db, _SKIP, ticket_id, None)


async def queue(db: SourceDB, service: str, day: date) -> list[QueueTicket]:
    """The tickets of ``service`` on ``day`` still waiting or at a counter, in number order."""
    return [ticket_from_row(row) for row in await db.fetch(_QUEUE, service, day)]


async def _finish(db: SourceDB, sql: str, ticket_id: str, at: datetime | None) -> QueueTicket:
    key = int(ticket_id) if ticket_id.isdigit() and len(ticket_id) < 19 else None
    if key is None:
        raise CounterRefused("ticket_id", "not_found", f"there is no ticket {ticket_id!r}")
    args = (key, at) if at is not None else (key,)
    rows = await db.fetch(sql, *args)
    ticket = await _read(db, key)
    if ticket is None:
        raise CounterRefused("ticket_id", "not_found", f"there is no ticket {ticket_id!r}")
    if not rows:
        raise CounterRefused(
            "status",
            "not_called",
            f"ticket {ticket.number} is {ticket.status.name.lower().replace('_', ' ')};"
            f" only a called ticket can be {'served' if sql is _SERVE else 'skipped'}",
        )
    return ticket


async def _read(db: SourceDB, ticket_id: int) -> QueueTicket | None:
    rows = await db.fetch(BY_ID_SQL, [ticket_id])
    return ticket_from_row(rows[0]) if rows else None
