"""LPSE batch reads: one statement per call, whatever the number of keys.

:func:`roles_by_nik` returns each role with its vendor and that vendor's tenders in
the same statement (the tenders are aggregated to JSON per vendor), so the hub
needs no further nesting level for procurement roles.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connectors.base import digit_keys, group, unique_keys
from connectors.lpse import SOURCE
from connectors.lpse.records import (
    BidStatus,
    LegalForm,
    ProcurementCategory,
    ProcurementMethod,
    TenderParticipation,
    TenderStage,
    Vendor,
    VendorPosition,
    VendorRole,
)
from identity.kinds import IdentifierKind
from identity.phone import canonical_phone
from identity.sightings import CarriesNIK, Manager, Sighting, ThroughManagers, held

if TYPE_CHECKING:
    import asyncpg

    from connectors.base import SourceDB

_VENDOR_COLUMNS = """
       p.id_penyedia, p.npwp, p.nama_perusahaan, p.bentuk_usaha, p.alamat, p.kota,
       p.telepon, p.tgl_daftar"""

# The tenders of each vendor as one JSON array; money travels as text so the
# Decimal keeps every digit. An operation that selects no tender reads none.
_TENDERS = """
  LEFT JOIN LATERAL (
       SELECT json_agg(json_build_object(
                  'kode', k.kode_tender, 'nama', k.nama_paket, 'satker', k.satker,
                  'jenis', k.jenis_pengadaan, 'tahun', k.tahun_anggaran,
                  'pagu', k.pagu::text, 'hps', k.hps::text, 'metode', k.metode,
                  'tahapan', k.tahapan, 'tgl', k.tgl_pengumuman,
                  'penawaran', s.harga_penawaran::text, 'status', s.status,
                  'menang', w.id_penyedia IS NOT DISTINCT FROM s.id_penyedia,
                  'kontrak', w.harga_kontrak::text)
              ORDER BY k.tgl_pengumuman DESC, k.kode_tender) AS paket
         FROM peserta s
         JOIN paket k ON k.kode_tender = s.kode_tender
         LEFT JOIN pemenang w ON w.kode_tender = s.kode_tender
        WHERE s.id_penyedia = p.id_penyedia
       ) t ON true"""
_NO_TENDERS = """
  CROSS JOIN (SELECT NULL::json AS paket) t"""
_ROLES = f"""
SELECT regexp_replace(g.nik, '[^0-9]', '', 'g') AS nik_bersih, g.id_pengurus, g.jabatan,
       g.persen_saham,
       {_VENDOR_COLUMNS},
       COALESCE(t.paket, '[]') AS paket
  FROM pengurus g
  JOIN penyedia p ON p.id_penyedia = g.id_penyedia{{tenders}}
 WHERE {{where}}
 ORDER BY g.id_pengurus
"""
_ROLES_BY_NIK = {
    wanted: _ROLES.format(
        where="regexp_replace(g.nik, '[^0-9]', '', 'g') = ANY($1::text[])",
        tenders=_TENDERS if wanted else _NO_TENDERS,
    )
    for wanted in (True, False)
}
_ROLES_BY_ID = _ROLES.format(where="g.id_pengurus = ANY($1::int[])", tenders=_TENDERS)

_VENDORS = f"""
SELECT regexp_replace(p.npwp, '[^0-9]', '', 'g') AS npwp_bersih, {_VENDOR_COLUMNS}
  FROM penyedia p
 WHERE regexp_replace(p.npwp, '[^0-9]', '', 'g') = ANY($1::text[])
"""

_REFERENCED = "SELECT regexp_replace(nik, '[^0-9]', '', 'g') AS nik FROM pengurus"

_SIGHTINGS = """
SELECT p.id_penyedia, p.npwp, p.telepon,
       COALESCE(array_agg(g.id_pengurus ORDER BY g.id_pengurus)
                FILTER (WHERE g.id_pengurus IS NOT NULL), '{}') AS id_pengurus,
       COALESCE(array_agg(g.nik ORDER BY g.id_pengurus)
                FILTER (WHERE g.id_pengurus IS NOT NULL), '{}') AS nik,
       COALESCE(array_agg(g.nama ORDER BY g.id_pengurus)
                FILTER (WHERE g.id_pengurus IS NOT NULL), '{}') AS nama,
       COALESCE(array_agg(g.jabatan ORDER BY g.id_pengurus)
                FILTER (WHERE g.id_pengurus IS NOT NULL), '{}') AS jabatan
  FROM penyedia p
  LEFT JOIN pengurus g ON g.id_penyedia = p.id_penyedia
 GROUP BY p.id_penyedia
 ORDER BY p.id_penyedia
"""
# Whom a vendor's NPWP and contact belong to: its directors, owner or chair, not its
# commissioners or treasurer.
ANSWERING = frozenset(
    {
        VendorPosition.PRESIDENT_DIRECTOR,
        VendorPosition.DIRECTOR,
        VendorPosition.OWNER,
        VendorPosition.CHAIR,
    }
)

_NOT_DIGITS = re.compile(r"\D")


async def roles_by_nik(
    db: SourceDB, niks: Sequence[str], *, tenders: bool = True
) -> dict[str, list[VendorRole]]:
    """Every vendor role of each NIK found, with the vendor and all its tenders (newest first).

    Keys are clean 16-digit NIKs; rows stored with separators are found too.
    ``tenders=False``: the vendors' tenders are not read (left empty).
    """
    rows = await db.fetch(_ROLES_BY_NIK[tenders], digit_keys(niks))
    return group((_role(row) for row in rows), "nik")


async def roles_by_id(db: SourceDB, ids: Sequence[str]) -> dict[str, VendorRole]:
    """Each role found by its row id (id_pengurus, as a string; others find none).

    How a role a steward tied to another NIK than the one typed is read.
    """
    keys = unique_keys(int(i) for i in ids if i.isdigit() and len(i) < 10)
    rows = await db.fetch(_ROLES_BY_ID, keys)
    return {str(row["id_pengurus"]): _role(row) for row in rows}


async def vendors_by_npwp(db: SourceDB, npwps: Sequence[str]) -> dict[str, Vendor]:
    """The vendor of each NPWP found, keyed by the NPWP's digits (any formatting accepted)."""
    rows = await db.fetch(_VENDORS, digit_keys(npwps))
    return {row["npwp_bersih"]: _vendor(row) for row in rows}


async def referenced_niks(db: SourceDB) -> list[str]:
    """The clean NIK of every management row (pengurus), one entry per row."""
    return [row["nik"] for row in await db.fetch(_REFERENCED)]


async def sightings(db: SourceDB) -> list[Sighting]:
    """Every vendor and manager for the crosswalk, in one statement.

    A vendor's NPWP and phone belong to its directors or owner (DERIVED); an
    individual's NPWP is their NIK (EXACT). Each manager row is a record of its
    own, carrying a NIK and a name.
    """
    out: list[Sighting] = []
    for row in await db.fetch(_SIGHTINGS):
        managers = tuple(
            Manager(f"pengurus:{key}", nik, name, VendorPosition(position) in ANSWERING)
            for key, nik, name, position in zip(
                row["id_pengurus"], row["nik"], row["nama"], row["jabatan"], strict=True
            )
        )
        holds = (
            *held(IdentifierKind.NPWP, row["npwp"]),
            *held(IdentifierKind.PHONE, row["telepon"]),
        )
        vendor = f"penyedia:{row['id_penyedia']}"
        out.append(Sighting(SOURCE, vendor, ThroughManagers(managers), holds))
        out.extend(Sighting(SOURCE, m.record, CarriesNIK(m.nik), (), m.name) for m in managers)
    return out


def _vendor(row: asyncpg.Record) -> Vendor:
    return Vendor(
        vendor_id=row["id_penyedia"],
        npwp=_NOT_DIGITS.sub("", row["npwp"]),
        name=row["nama_perusahaan"],
        legal_form=LegalForm(row["bentuk_usaha"]),
        address=row["alamat"],
        city=row["kota"],
        phone=canonical_phone(row["telepon"]),
        registered_on=row["tgl_daftar"],
    )


def _role(row: asyncpg.Record) -> VendorRole:
    return VendorRole(
        nik=row["nik_bersih"],
        position=VendorPosition(row["jabatan"]),
        share_percent=row["persen_saham"],
        vendor=_vendor(row),
        tenders=tuple(_participation(item) for item in json.loads(row["paket"])),
        manager_id=str(row["id_pengurus"]),
    )


def _participation(item: dict[str, Any]) -> TenderParticipation:
    announced = date.fromisoformat(item["tgl"]) if item["tgl"] else None
    return TenderParticipation(
        tender_code=item["kode"],
        package_name=item["nama"],
        work_unit=item["satker"],
        category=ProcurementCategory(item["jenis"]),
        fiscal_year=item["tahun"],
        budget_ceiling=_money(item["pagu"]),
        owner_estimate=Decimal(item["hps"]),
        method=ProcurementMethod(item["metode"]),
        stage=TenderStage(item["tahapan"]),
        announced_on=announced,
        bid=_money(item["penawaran"]),
        bid_status=BidStatus(item["status"]),
        won=bool(item["menang"]),
        contract_value=_money(item["kontrak"]) if item["menang"] else None,
    )


def _money(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None
