"""Antrian batch reads: one statement per call, whatever the number of keys.

NIKs and phones are matched on their normalised form (expression indexes in
``ddl.sql``), so rows typed "3671 0112 …" or "+62 812-…" are found by the clean
key, and records carry the clean values. Legacy times are local (WIB); records
carry them as aware datetimes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, time
from typing import TYPE_CHECKING

from connectors.antrian import SOURCE
from connectors.antrian.catalogue import open_weekdays
from connectors.antrian.records import (
    Counter,
    QueueTicket,
    Service,
    ServiceCentre,
    TicketChannel,
    TicketStatus,
)
from connectors.base import digit_keys, group, unique_keys
from connectors.clock import WIB
from identity.kinds import IdentifierKind
from identity.phone import canonical_phone
from identity.sightings import ByPhoneOnly, CarriesNIK, Sighting, held

if TYPE_CHECKING:
    import asyncpg

    from connectors.base import SourceDB


# The normalised NIK and phone of ticket ``t``: the expressions the indexes are built on.
NIK_DIGITS = "regexp_replace(t.nik, '[^0-9]', '', 'g')"
PHONE_CANONICAL = "regexp_replace(regexp_replace(t.no_hp, '[^0-9]', '', 'g'), '^62', '0')"
# What :func:`ticket_from_row` reads, for any statement about tickets ``t``.
TICKET_SELECT = f"""
SELECT t.id_tiket, t.nomor_tiket, t.tanggal, g.kode_gerai, g.nama_gerai, l.kode_layanan,
       l.nama_layanan, l.instansi, k.nama_loket, t.status, t.sumber, t.nama,
       t.waktu_ambil, t.waktu_panggil, t.waktu_selesai,
       {NIK_DIGITS} AS nik_bersih, {PHONE_CANONICAL} AS hp_bersih
  FROM tiket t
  JOIN layanan l ON l.kode_layanan = t.kode_layanan
  JOIN gerai g ON g.kode_gerai = l.kode_gerai
  LEFT JOIN loket k ON k.kode_loket = t.kode_loket
"""
_TICKETS = f"""{TICKET_SELECT}
 WHERE {{key}} = ANY($1::{{array}})
 ORDER BY t.tanggal DESC, t.waktu_ambil DESC
"""
_BY_NIK = _TICKETS.format(key=NIK_DIGITS, array="text[]")
_BY_PHONE = _TICKETS.format(key=PHONE_CANONICAL, array="text[]")
BY_ID_SQL = _TICKETS.format(key="t.id_tiket", array="bigint[]")

_CENTRES = """
SELECT g.kode_gerai, g.nama_gerai, g.alamat, g.hari_buka, g.jam_buka, g.jam_tutup,
       COALESCE(json_agg(json_build_object(
                    'kode', l.kode_layanan, 'nama', l.nama_layanan, 'instansi', l.instansi,
                    'prefix', l.prefix, 'kuota', l.kuota_harian)
                ORDER BY l.prefix) FILTER (WHERE l.kode_layanan IS NOT NULL), '[]') AS layanan,
       (SELECT COALESCE(json_agg(json_build_object(
                    'kode', k.kode_loket, 'nama', k.nama_loket, 'layanan', k.kode_layanan)
                ORDER BY k.kode_loket), '[]')
          FROM loket k WHERE k.kode_gerai = g.kode_gerai) AS loket
  FROM gerai g
  LEFT JOIN layanan l ON l.kode_gerai = g.kode_gerai AND l.aktif
 GROUP BY g.kode_gerai
 ORDER BY g.kode_gerai
"""

_REFERENCED = f"SELECT {NIK_DIGITS} AS nik FROM tiket t WHERE t.nik IS NOT NULL"
_SIGHTINGS = "SELECT id_tiket, nik, no_hp, nama, tanggal FROM tiket ORDER BY id_tiket"


async def tickets_by_nik(db: SourceDB, niks: Sequence[str]) -> dict[str, list[QueueTicket]]:
    """Every ticket of each NIK found, newest first; keys are clean 16-digit NIKs."""
    rows = await db.fetch(_BY_NIK, digit_keys(niks))
    return group((ticket_from_row(row) for row in rows), "nik")


async def tickets_by_phone(db: SourceDB, phones: Sequence[str]) -> dict[str, list[QueueTicket]]:
    """Every ticket taken with each phone, newest first, walk-ins without NIK included.

    Phones may be given in any usual format; keys are the canonical 08… form
    (phones that cannot be one are left out).
    """
    rows = await db.fetch(_BY_PHONE, unique_keys(p for p in map(canonical_phone, phones) if p))
    return group((ticket_from_row(row) for row in rows), "phone")


async def tickets_by_id(db: SourceDB, ids: Sequence[str]) -> dict[str, QueueTicket]:
    """The ticket of each id found, keyed by the id as a string (non-numeric ids find none)."""
    keys = unique_keys(int(i) for i in ids if i.isdigit() and len(i) < 19)
    rows = await db.fetch(BY_ID_SQL, keys)
    return {str(row["id_tiket"]): ticket_from_row(row) for row in rows}


async def service_centres(db: SourceDB) -> list[ServiceCentre]:
    """Every service centre with its active services, by centre code, in one statement."""
    rows = await db.fetch(_CENTRES)
    return [_centre(row) for row in rows]


async def referenced_niks(db: SourceDB) -> list[str]:
    """The clean NIK of every ticket that carries one (walk-ins with only a phone do not)."""
    return [row["nik"] for row in await db.fetch(_REFERENCED)]


async def sightings(db: SourceDB) -> list[Sighting]:
    """Every ticket for the crosswalk, in one statement: its id, phone and day.

    Booked tickets carry the NIK; walk-ins often only a phone (and sometimes a
    name), to be matched to whoever gives that phone elsewhere and was alive that day.
    """
    out: list[Sighting] = []
    for row in await db.fetch(_SIGHTINGS):
        ticket = str(row["id_tiket"])
        holds = (
            *held(IdentifierKind.QUEUE_TICKET, ticket),
            *held(IdentifierKind.PHONE, row["no_hp"]),
        )
        nik = row["nik"]
        holder = CarriesNIK(nik) if nik and nik.strip() else ByPhoneOnly(row["no_hp"])
        out.append(
            Sighting(SOURCE, "tiket:" + ticket, holder, holds, row["nama"], seen_on=row["tanggal"])
        )
    return out


def _local(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=WIB) if moment is not None else None


def ticket_from_row(row: asyncpg.Record) -> QueueTicket:
    """The typed ticket of a row selected with :data:`TICKET_SELECT`."""
    taken = _local(row["waktu_ambil"])
    assert taken is not None  # NOT NULL in the schema
    return QueueTicket(
        id=str(row["id_tiket"]),
        number=row["nomor_tiket"],
        visit_date=row["tanggal"],
        centre_code=row["kode_gerai"],
        centre_name=row["nama_gerai"],
        service_code=row["kode_layanan"],
        service_name=row["nama_layanan"],
        agency=row["instansi"],
        counter=row["nama_loket"],
        status=TicketStatus(row["status"]),
        channel=TicketChannel(row["sumber"]),
        nik=row["nik_bersih"],
        name=row["nama"],
        phone=row["hp_bersih"],
        taken_at=taken,
        called_at=_local(row["waktu_panggil"]),
        served_at=_local(row["waktu_selesai"]),
    )


def _centre(row: asyncpg.Record) -> ServiceCentre:
    services = tuple(
        Service(
            code=s["kode"],
            name=s["nama"],
            agency=s["instansi"],
            ticket_prefix=s["prefix"],
            daily_quota=s["kuota"],
        )
        for s in json.loads(row["layanan"])
    )
    opens: time = row["jam_buka"]
    closes: time = row["jam_tutup"]
    return ServiceCentre(
        code=row["kode_gerai"],
        name=row["nama_gerai"],
        address=row["alamat"],
        opening_days=row["hari_buka"],
        open_weekdays=open_weekdays(row["hari_buka"]),
        opens_at=opens,
        closes_at=closes,
        services=services,
        counters=tuple(
            Counter(code=k["kode"], name=k["nama"], service_code=k["layanan"])
            for k in json.loads(row["loket"])
        ),
    )
