"""What a :class:`~connectors.antrian.feed.TicketFeed` remembers of the tickets watched,
and how it finds what changed: the statement reading the watched rows (by ticket id, or
by service and day) and :class:`TicketStates`, which compares each row with what it saw
last (status, counter, call and serve times), a cancellation (which sets no time)
included.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime
from typing import Any, TypeAlias

import asyncpg

from connectors.antrian.feed_events import QueueKey, TicketChanged
from connectors.antrian.records import TicketStatus

# The state of the rows someone watches: by ids, or by (service, day).
_STATE = """
SELECT t.id_tiket, t.kode_layanan, t.tanggal, t.status, t.kode_loket,
       t.waktu_panggil, t.waktu_selesai
  FROM tiket t
 WHERE t.id_tiket = ANY($1::bigint[])
    OR (t.kode_layanan, t.tanggal) IN (SELECT * FROM unnest($2::text[], $3::date[]))
"""

State: TypeAlias = tuple[str, date, str, str | None, datetime | None, datetime | None]


async def read_states(
    conn: asyncpg.Connection[Any], tickets: Collection[int], queues: Collection[QueueKey]
) -> list[asyncpg.Record]:
    """The rows of ``tickets`` (ids) and of every ticket of ``queues`` (service, day)."""
    return await conn.fetch(_STATE, list(tickets), [q[0] for q in queues], [q[1] for q in queues])


class TicketStates:
    """The state of every watched ticket at the last read, and what was watched then."""

    def __init__(self) -> None:
        self.seen: dict[int, State] = {}
        self.known_tickets: set[int] = set()  # watched since before the last read
        self.known_queues: set[QueueKey] = set()

    def compare(
        self,
        rows: Iterable[asyncpg.Record],
        watched: tuple[Iterable[int], Iterable[QueueKey]],
        *,
        report_new: bool,
    ) -> list[TicketChanged]:
        """What differs in ``rows`` from the last read, remembering them.

        A row seen for the first time is a change when its ticket or queue was watched
        at the last read (a new ticket in a watched queue), or when ``report_new`` (the
        trigger announced it); otherwise it is where watching starts. ``report_new``
        rows are only the announced ones: the rest of what is remembered stays.
        """
        watched_tickets, watched_queues = set(watched[0]), set(watched[1])
        changes: list[TicketChanged] = []
        read: set[int] = set()
        for row in rows:
            ticket_id: int = row["id_tiket"]
            state: State = (
                row["kode_layanan"],
                row["tanggal"],
                row["status"],
                row["kode_loket"],
                row["waktu_panggil"],
                row["waktu_selesai"],
            )
            if ticket_id not in watched_tickets and (state[0], state[1]) not in watched_queues:
                continue  # announced, but nobody here watches it
            read.add(ticket_id)
            before = self.seen.get(ticket_id)
            known = (
                report_new
                or ticket_id in self.known_tickets
                or (state[0], state[1]) in self.known_queues
            )
            if before != state and (before is not None or known):
                changes.append(
                    TicketChanged(
                        str(ticket_id), state[0], state[1], TicketStatus(state[2]), state[3]
                    )
                )
            self.seen[ticket_id] = state
        if not report_new:
            self.known_tickets, self.known_queues = watched_tickets, watched_queues
            # Forget the rows nobody watches any more.
            self.seen = {k: v for k, v in self.seen.items() if k in read}
        return changes
