"""Antrian writes: a queue ticket booked and cancelled the way the product does it.

A ticket is one ``tiket`` row numbered by the service's letter and a sequence per
service and day ("A-042"), waiting (``MENUNGGU``) until a counter calls it. The
product's schema is written as it is: no column, sequence or table is added to it.
The idempotency keys live in the hub's own database
(:class:`connectors.idempotency.IdempotencyStore`), with the order that keeps a retry
from ever writing a second ticket.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from connectors.antrian.capacity import ACTIVE, SEQUENCE, opens_on
from connectors.antrian.reads import (
    NIK_DIGITS,
    PHONE_CANONICAL,
    TICKET_SELECT,
    ticket_from_row,
    tickets_by_id,
)
from connectors.antrian.records import (
    BookingRequest,
    QueueTicket,
    TicketChannel,
    TicketStatus,
)
from connectors.base import WriteRefused, insert_next_id
from connectors.clock import WIB, local, wib_now
from connectors.idempotency import claim_or_recall
from identity.nik import NIK, InvalidNIK
from identity.phone import InvalidPhone, Phone

if TYPE_CHECKING:
    import asyncpg

    from connectors.base import SourceDB, Transaction
    from connectors.idempotency import IdempotencyStore

SCOPE = "antrian.tiket"  # the idempotency store's scope for tickets
MAX_DAYS_AHEAD = 30  # the hub's rule, not the product's: a booking is for the coming month
NAME_LENGTH = 100  # tiket.nama
KEY_LENGTH = 200
# First key of the two-key advisory locks the hub takes in Antrian ("ant"), so they
# never meet a lock the product might take with one key or another namespace.
LOCK_NAMESPACE = 0x616E74
# Attempts at a free id_tiket before giving up (each lost race is another writer's commit).
ID_ATTEMPTS = 50


class BookingRefused(WriteRefused):
    """:func:`book_ticket` refused the request; no row was written.

    Fields and rules: ``centre`` unknown_centre; ``service`` unknown_service,
    not_at_centre, inactive; ``visit_date`` in_the_past, too_far_ahead, closed,
    fully_booked; ``nik`` required (online bookings) or a NIK rule (``length``,
    ``region``, …), already_booked; ``phone`` a phone rule (``length``, ``prefix``, …),
    already_booked (walk-ins without NIK); ``name`` too_long; ``idempotency_key``
    length, idempotency_key_reused.
    """


class CancelRefused(WriteRefused):
    """:func:`cancel_ticket` refused; the ticket is unchanged.

    Fields and rules: ``holder`` one_of (give the NIK or the phone, one of them);
    ``nik`` / ``phone`` their format rules; ``ticket_id`` not_found (no such ticket
    held by that NIK or phone); ``status`` not_waiting, changed (by someone else while
    it was cancelled: try again); ``visit_date`` in_the_past.
    """


_LOCK = "SELECT pg_advisory_xact_lock($1, hashtext($2))"

# Everything the rules need, in one row whether the centre and service exist or not.
_RULES = f"""
SELECT g.kode_gerai AS gerai, g.nama_gerai, g.hari_buka, g.jam_tutup,
       l.kode_layanan AS layanan, l.kode_gerai AS gerai_layanan, l.nama_layanan, l.instansi,
       l.prefix, l.kuota_harian, l.aktif,
       (SELECT count(*) FROM tiket t
         WHERE t.kode_layanan = $2 AND t.tanggal = $3 AND t.status = ANY($6::text[]))
           AS terpakai,
       (SELECT coalesce(max({SEQUENCE}), 0) FROM tiket t
         WHERE t.kode_layanan = $2 AND t.tanggal = $3) AS nomor_terakhir,
       EXISTS (SELECT FROM tiket t
                WHERE t.kode_layanan = $2 AND t.tanggal = $3 AND t.status = ANY($6::text[])
                  AND CASE WHEN $4::text IS NOT NULL THEN {NIK_DIGITS} = $4
                           ELSE nullif(btrim(t.nik), '') IS NULL AND {PHONE_CANONICAL} = $5
                      END) AS sudah_punya
  FROM (SELECT) AS satu
  LEFT JOIN gerai g ON g.kode_gerai = $1
  LEFT JOIN layanan l ON l.kode_layanan = $2
"""

# id_tiket is a bigint with no sequence behind it. The next id is max + 1, and a
# second writer that took it first (another service's booking, or the product's own
# kiosk, which knows nothing of the hub's locks) makes the insert skip, not fail:
# insert_next_id tries again with the next max. Locking the table or one advisory
# lock for every id would do too, but would queue every booking of every service, and
# the product's own counter updates, behind each other; this costs a retry only when
# two writers meet.
_INSERT = """
INSERT INTO tiket (id_tiket, nomor_tiket, tanggal, kode_layanan, nik, no_hp, nama, status,
                   sumber, waktu_ambil)
SELECT coalesce(max(id_tiket), 0) + 1, $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM tiket
ON CONFLICT (id_tiket) DO NOTHING
RETURNING id_tiket
"""

# A ticket an earlier attempt under the same key wrote: same service, day and holder.
_OWN = f"""{TICKET_SELECT}
 WHERE t.id_tiket = $1 AND t.kode_layanan = $2 AND t.tanggal = $3
   AND CASE WHEN $4::text IS NOT NULL THEN {NIK_DIGITS} = $4 ELSE {PHONE_CANONICAL} = $5 END
"""

_CANCEL = f"""
UPDATE tiket t SET status = 'BATAL'
 WHERE t.id_tiket = $1 AND t.status = 'MENUNGGU' AND t.tanggal >= $4
   AND (($2::text IS NOT NULL AND {NIK_DIGITS} = $2)
        OR ($3::text IS NOT NULL AND {PHONE_CANONICAL} = $3))
RETURNING t.id_tiket
"""


async def book_ticket(
    db: SourceDB,
    request: BookingRequest,
    *,
    store: IdempotencyStore,
    now: Callable[[], datetime] = wib_now,
) -> QueueTicket:
    """Book one waiting ticket, numbered the product's way (the service's letter and the
    day's next sequence, "A-042"), or raise :class:`BookingRefused` having written nothing.

    ``now`` is the clock (aware; the rules use the centres' time, WIB). The same
    ``idempotency_key`` again answers with the ticket it first booked, writing nothing;
    under another ``fingerprint`` it is refused (``idempotency_key_reused``). A key
    whose request was refused may be tried again with the same request.

    Concurrent bookings for one service and day take the day's numbers one after the
    other, never past the quota: each holds a lock on (service, day) until it commits.
    Database failures propagate (``connectors.base.DATABASE_ERRORS``).
    """
    moment = now()
    nik, phone, name = _checked(request, local(moment).date())
    booked = await claim_or_recall(
        store,
        request.idempotency_key,
        request.fingerprint,
        BookingRefused,
        "booking",
        partial(tickets_by_id, db),
    )
    if booked is not None:
        return booked
    async with db.transaction() as tx:
        await tx.execute(
            _LOCK, LOCK_NAMESPACE, f"{request.service_code}/{request.visit_date.isoformat()}"
        )
        # Under the lock: an attempt with the same key that got here first has committed.
        earlier = await store.get(request.idempotency_key)
        if earlier is not None and earlier.record is not None and earlier.record.isdigit():
            row = await tx.fetchrow(
                _OWN, int(earlier.record), request.service_code, request.visit_date, nik, phone
            )
            if row is not None:
                ticket = ticket_from_row(row)
                await store.complete(request.idempotency_key, ticket.id)
                return ticket
        rules = await tx.fetchrow(
            _RULES,
            request.centre_code,
            request.service_code,
            request.visit_date,
            nik,
            phone,
            ACTIVE,
        )
        assert rules is not None  # one row, always
        _refuse_by_rules(rules, request, nik, moment)
        number = f"{rules['prefix']}-{rules['nomor_terakhir'] + 1:03d}"
        taken_at = local(moment)
        ticket_id = await _insert(
            tx, number, request, nik, phone, name, TicketStatus.WAITING, taken_at
        )
        # Before the commit: a crash after it leaves the key naming the ticket.
        await store.reserve(request.idempotency_key, str(ticket_id))
    await store.complete(request.idempotency_key, str(ticket_id))
    return QueueTicket(
        id=str(ticket_id),
        number=number,
        visit_date=request.visit_date,
        centre_code=rules["gerai"],
        centre_name=rules["nama_gerai"],
        service_code=request.service_code,
        service_name=rules["nama_layanan"],
        agency=rules["instansi"],
        counter=None,
        status=TicketStatus.WAITING,
        channel=request.channel,
        nik=nik,
        name=name,
        phone=phone,
        taken_at=taken_at.replace(tzinfo=WIB),
        called_at=None,
        served_at=None,
    )


async def cancel_ticket(
    db: SourceDB,
    ticket_id: str,
    *,
    nik: str | None = None,
    phone: str | None = None,
    now: Callable[[], datetime] = wib_now,
) -> QueueTicket:
    """Cancel a waiting ticket of today or later held by ``nik`` or by ``phone`` (give one),
    and return it cancelled; or raise :class:`CancelRefused`, changing nothing.

    Its place of the day's quota is free again at once (capacity is counted from the
    tickets). A ticket of someone else is "not found", as one that does not exist.
    """
    if (nik is None) == (phone is None):
        raise CancelRefused(
            "holder", "one_of", "give either the NIK or the phone the ticket was booked with"
        )
    clean_nik = _nik(nik, CancelRefused) if nik is not None else None
    clean_phone = _phone(phone, CancelRefused) if phone is not None else None
    today = local(now()).date()
    key = int(ticket_id) if ticket_id.isdigit() and len(ticket_id) < 19 else None
    if key is not None:
        await db.fetch(_CANCEL, key, clean_nik, clean_phone, today)
    # Read after the update, cancelled or not: the ticket as it is now, or why not.
    ticket = (await tickets_by_id(db, [ticket_id])).get(ticket_id)
    held = ticket is not None and (
        (clean_nik is not None and ticket.nik == clean_nik)
        or (clean_phone is not None and ticket.phone == clean_phone)
    )
    if ticket is None or not held:
        raise CancelRefused(
            "ticket_id", "not_found", f"no ticket {ticket_id} is held by this NIK or phone"
        )
    # Cancelled now, or by an earlier call whose answer was lost: the same outcome.
    if ticket.status is TicketStatus.CANCELLED:
        return ticket
    if ticket.status is not TicketStatus.WAITING:
        raise CancelRefused(
            "status",
            "not_waiting",
            f"ticket {ticket.number} is {ticket.status.name.lower().replace('_', ' ')};"
            " only a waiting ticket can be cancelled",
        )
    if ticket.visit_date < today:
        raise CancelRefused(
            "visit_date",
            "in_the_past",
            f"ticket {ticket.number} was for {ticket.visit_date.isoformat()}, a day already over",
        )
    # Waiting, held, not past, yet not updated: it changed between the two statements.
    raise CancelRefused("status", "changed", f"ticket {ticket.number} changed meanwhile; try again")


def _checked(request: BookingRequest, today: date) -> tuple[str | None, str, str | None]:
    """The clean NIK, phone and name of a request, or the refusal of what is wrong in it
    that needs no database."""
    key = request.idempotency_key
    if not 1 <= len(key) <= KEY_LENGTH:
        raise BookingRefused(
            "idempotency_key", "length", f"an idempotency key has 1 to {KEY_LENGTH} characters"
        )
    phone = _phone(request.phone, BookingRefused)
    if request.nik is None or not request.nik.strip():
        if request.channel is TicketChannel.ONLINE:
            raise BookingRefused("nik", "required", "an online booking needs the NIK of its holder")
        nik = None
    else:
        nik = _nik(request.nik, BookingRefused)
    name = (request.name or "").strip() or None
    if name is not None and len(name) > NAME_LENGTH:
        raise BookingRefused("name", "too_long", f"a name has at most {NAME_LENGTH} characters")
    day = request.visit_date
    if day < today:
        raise BookingRefused(
            "visit_date", "in_the_past", f"{day.isoformat()} is past; book today or a later day"
        )
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise BookingRefused(
            "visit_date",
            "too_far_ahead",
            f"bookings open {MAX_DAYS_AHEAD} days ahead; {day.isoformat()} is later",
        )
    return nik, phone, name


def _refuse_by_rules(
    rules: asyncpg.Record, request: BookingRequest, nik: str | None, moment: datetime
) -> None:
    """Raise the refusal the catalogue and the day's tickets call for, if any."""
    centre, service, day = request.centre_code, request.service_code, request.visit_date
    if rules["gerai"] is None:
        raise BookingRefused("centre", "unknown_centre", f"there is no service centre {centre!r}")
    if rules["layanan"] is None:
        raise BookingRefused("service", "unknown_service", f"there is no service {service!r}")
    if rules["gerai_layanan"] != centre:
        raise BookingRefused(
            "service", "not_at_centre", f"service {service} is not offered at {centre}"
        )
    if not rules["aktif"]:
        raise BookingRefused("service", "inactive", f"service {service} takes no bookings now")
    if not opens_on(rules["hari_buka"], rules["jam_tutup"], day, moment):
        raise BookingRefused(
            "visit_date",
            "closed",
            f"{centre} is closed on {day.isoformat()} (open {rules['hari_buka']},"
            f" until {rules['jam_tutup']:%H:%M})",
        )
    if rules["sudah_punya"]:
        field, holder = ("nik", "NIK") if nik is not None else ("phone", "phone")
        raise BookingRefused(
            field,
            "already_booked",
            f"this {holder} already holds an active ticket for {service} on {day.isoformat()}",
        )
    if rules["terpakai"] >= rules["kuota_harian"]:
        raise BookingRefused(
            "visit_date",
            "fully_booked",
            f"{service} is fully booked on {day.isoformat()}"
            f" ({rules['kuota_harian']} tickets a day)",
        )


async def _insert(
    tx: Transaction,
    number: str,
    request: BookingRequest,
    nik: str | None,
    phone: str,
    name: str | None,
    status: TicketStatus,
    taken_at: datetime,
) -> int:
    row = await insert_next_id(
        tx,
        "id_tiket",
        ID_ATTEMPTS,
        _INSERT,
        number,
        request.visit_date,
        request.service_code,
        nik,
        phone,
        name,
        status.value,
        request.channel.value,
        taken_at,
    )
    ticket_id: int = row["id_tiket"]
    return ticket_id


def _nik(raw: str, refusal: type[WriteRefused]) -> str:
    try:
        return str(NIK.parse(raw))
    except InvalidNIK as exc:
        raise refusal("nik", exc.rule, str(exc)) from None


def _phone(raw: str, refusal: type[WriteRefused]) -> str:
    try:
        return str(Phone.parse(raw))
    except InvalidPhone as exc:
        raise refusal("phone", exc.rule, str(exc)) from None
