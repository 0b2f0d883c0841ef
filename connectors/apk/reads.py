"""APK batch reads: one statement per call, whatever the number of keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from connectors.apk import SOURCE
from connectors.apk.records import DistrictRequest, DistrictServiceType, RequestStatus, StatusChange
from connectors.base import digit_keys, group, unique_keys
from connectors.clock import WIB
from identity.kinds import IdentifierKind
from identity.phone import canonical_phone
from identity.regions import KECAMATAN
from identity.sightings import CarriesNIK, Sighting, held

if TYPE_CHECKING:
    import asyncpg

    from connectors.base import SourceDB

# The product stores local wall-clock time without a zone: Kota Tangerang is on WIB.

# NIK and phone as typed; rows are matched on the expressions the indexes are built on.
_CLEAN_NIK = "regexp_replace(p.nik_pemohon, '[^0-9]', '', 'g')"
_CLEAN_PHONE = "regexp_replace(regexp_replace(p.no_hp, '[^0-9]', '', 'g'), '^62', '0')"

_REQUESTS = f"""
SELECT p.nomor_permohonan, {_CLEAN_NIK} AS nik_bersih, {_CLEAN_PHONE} AS no_hp_bersih,
       p.kode_layanan, j.nama AS nama_layanan, p.kode_kecamatan, p.keperluan,
       p.tgl_pengajuan, p.status_terakhir,
       array_agg(r.status ORDER BY r.waktu, r.id) FILTER (WHERE r.id IS NOT NULL) AS riwayat,
       array_agg(r.waktu ORDER BY r.waktu, r.id) FILTER (WHERE r.id IS NOT NULL) AS waktu,
       array_agg(r.catatan ORDER BY r.waktu, r.id) FILTER (WHERE r.id IS NOT NULL) AS catatan
  FROM permohonan p
  JOIN jenis_layanan j ON j.kode = p.kode_layanan
  LEFT JOIN riwayat_status r ON r.permohonan_id = p.id
 WHERE {{where}}
 GROUP BY p.id, j.kode
 ORDER BY p.tgl_pengajuan DESC, p.id DESC
"""
# The same requests without their status history: no join, no grouping.
_REQUESTS_ONLY = f"""
SELECT p.nomor_permohonan, {_CLEAN_NIK} AS nik_bersih, {_CLEAN_PHONE} AS no_hp_bersih,
       p.kode_layanan, j.nama AS nama_layanan, p.kode_kecamatan, p.keperluan,
       p.tgl_pengajuan, p.status_terakhir,
       NULL::text[] AS riwayat, NULL::timestamp[] AS waktu, NULL::text[] AS catatan
  FROM permohonan p
  JOIN jenis_layanan j ON j.kode = p.kode_layanan
 WHERE {{where}}
 ORDER BY p.tgl_pengajuan DESC, p.id DESC
"""
_BY_NIK = {
    wanted: (_REQUESTS if wanted else _REQUESTS_ONLY).format(
        where=f"{_CLEAN_NIK} = ANY($1::text[])"
    )
    for wanted in (True, False)
}
_BY_PHONE = _REQUESTS.format(where=f"{_CLEAN_PHONE} = ANY($1::text[])")
_BY_NUMBER = _REQUESTS.format(where="p.nomor_permohonan = ANY($1::text[])")
_SERVICE_TYPES = "SELECT kode, nama, lama_proses_hari, persyaratan FROM jenis_layanan ORDER BY kode"
_REFERENCED = f"SELECT {_CLEAN_NIK} AS nik_bersih FROM permohonan p ORDER BY p.id"
_SIGHTINGS = """
SELECT nomor_permohonan, nik_pemohon, nama_pemohon, no_hp FROM permohonan ORDER BY id
"""


async def requests_by_nik(
    db: SourceDB, niks: Sequence[str], *, history: bool = True
) -> dict[str, list[DistrictRequest]]:
    """Each applicant's requests, newest first, keyed by clean NIK (absent if none).

    ``history=False``: the status history is not read (left empty).
    """
    rows = await db.fetch(_BY_NIK[history], digit_keys(niks))
    return group((_request(row) for row in rows), "nik")


async def requests_by_phone(
    db: SourceDB, phones: Sequence[str]
) -> dict[str, list[DistrictRequest]]:
    """Requests left with each phone number, newest first.

    Phones may be given in any usual format; keys are the canonical 08… form
    (phones that cannot be one are left out).
    """
    rows = await db.fetch(_BY_PHONE, unique_keys(p for p in map(canonical_phone, phones) if p))
    return group((_request(row) for row in rows), "phone")


async def requests_by_number(db: SourceDB, numbers: Sequence[str]) -> dict[str, DistrictRequest]:
    """Each request found by its number (nomor permohonan, e.g. ``APK/05/2026/000123``)."""
    rows = await db.fetch(_BY_NUMBER, unique_keys(numbers))
    return {row["nomor_permohonan"]: _request(row) for row in rows}


async def service_types(db: SourceDB) -> list[DistrictServiceType]:
    """The catalogue of services the kecamatan offices offer, by code."""
    rows = await db.fetch(_SERVICE_TYPES)
    return [
        DistrictServiceType(
            code=row["kode"],
            name=row["nama"],
            processing_days=row["lama_proses_hari"],
            requirements=tuple(
                item.strip() for item in (row["persyaratan"] or "").split(";") if item.strip()
            ),
        )
        for row in rows
    ]


async def referenced_niks(db: SourceDB) -> list[str]:
    """The clean NIK of every request (one per row, out-of-city applicants included)."""
    rows = await db.fetch(_REFERENCED)
    return [row["nik_bersih"] for row in rows]


async def sightings(db: SourceDB) -> list[Sighting]:
    """Every request for the crosswalk, in one statement: its number and phone, by NIK."""
    return [
        Sighting(
            SOURCE,
            "permohonan:" + row["nomor_permohonan"],
            CarriesNIK(row["nik_pemohon"]),
            (
                *held(IdentifierKind.APK_REQUEST, row["nomor_permohonan"]),
                *held(IdentifierKind.PHONE, row["no_hp"]),
            ),
            row["nama_pemohon"],
        )
        for row in await db.fetch(_SIGHTINGS)
    ]


def _request(row: asyncpg.Record) -> DistrictRequest:
    history = tuple(
        StatusChange(status=RequestStatus(status), at=at.replace(tzinfo=WIB), note=note)
        for status, at, note in zip(
            row["riwayat"] or (), row["waktu"] or (), row["catatan"] or (), strict=True
        )
    )
    code = row["kode_kecamatan"]
    return DistrictRequest(
        number=row["nomor_permohonan"],
        nik=row["nik_bersih"],
        service_code=row["kode_layanan"],
        service_name=row["nama_layanan"],
        kecamatan_code=code,
        kecamatan=KECAMATAN.get(code),
        purpose=row["keperluan"],
        phone=row["no_hp_bersih"],
        submitted_at=row["tgl_pengajuan"].replace(tzinfo=WIB),
        status=RequestStatus(row["status_terakhir"]),
        history=history,
    )
