"""SIPBD batch reads: one statement per call, whatever the number of keys.

SIPBD knows an asset's holder only by NIP; the hub reaches the citizen through
SIKDa (NIK -> NIP), then asks here by NIP.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from connectors.base import digit_keys, group
from connectors.sipbd import SOURCE
from connectors.sipbd.records import Asset, AssetCategory, AssetCondition
from identity.kinds import IdentifierKind
from identity.sightings import Held, Sighting, ThroughNIP

if TYPE_CHECKING:
    import asyncpg

    from connectors.base import SourceDB

# Handover forms wrote the NIP as printed ("19800101 200501 1 001"), so rows are
# matched on its digits only; the expression is the one barang_nip_bersih_idx is built on.
_CLEAN_NIP = "regexp_replace(b.nip_pemegang, '[^0-9]', '', 'g')"

_ASSETS = f"""
SELECT b.id_barang, b.kode_barang, b.nomor_register, b.nama_barang, b.merk_tipe, b.kib,
       b.tahun_perolehan, b.nilai_perolehan, b.kondisi, b.lokasi, b.kode_unit, u.nama_unit,
       {_CLEAN_NIP} AS nip_bersih
  FROM barang b
  JOIN unit_kerja u ON u.kode_unit = b.kode_unit
 WHERE {_CLEAN_NIP} = ANY($1::text[])
 ORDER BY b.kib, b.tahun_perolehan DESC, b.id_barang
"""
_REFERENCED = f"""
SELECT {_CLEAN_NIP} AS nip_bersih FROM barang b
 WHERE b.nip_pemegang IS NOT NULL ORDER BY b.id_barang
"""
_SIGHTINGS = """
SELECT id_barang, nip_pemegang FROM barang WHERE nip_pemegang IS NOT NULL ORDER BY id_barang
"""


async def assets_by_nip(db: SourceDB, nips: Sequence[str]) -> dict[str, list[Asset]]:
    """The assets each NIP holds (separators allowed in the keys), keyed by 18-digit NIP.

    NIPs holding nothing are absent from the result.
    """
    rows = await db.fetch(_ASSETS, digit_keys(nips))
    return group((_asset(row) for row in rows), "holder_nip")


async def referenced_nips(db: SourceDB) -> list[str]:
    """The clean NIP of every held asset (one per row; SIPBD references no NIK)."""
    rows = await db.fetch(_REFERENCED)
    return [row["nip_bersih"] for row in rows]


async def sightings(db: SourceDB) -> list[Sighting]:
    """Every held asset for the crosswalk, in one statement: the holder's NIP, as typed.

    SIPBD holds no NIK: its NIPs reach a citizen only through SIKDa (DERIVED).
    """
    return [
        Sighting(
            SOURCE,
            f"barang:{row['id_barang']}",
            ThroughNIP(row["nip_pemegang"]),
            (Held(IdentifierKind.NIP, row["nip_pemegang"]),),
        )
        for row in await db.fetch(_SIGHTINGS)
    ]


def _asset(row: asyncpg.Record) -> Asset:
    return Asset(
        asset_id=row["id_barang"],
        asset_code=row["kode_barang"],
        register_number=row["nomor_register"],
        name=row["nama_barang"],
        brand=row["merk_tipe"],
        category=AssetCategory(row["kib"]),
        acquisition_year=row["tahun_perolehan"],
        value=row["nilai_perolehan"],
        condition=AssetCondition(row["kondisi"]),
        location=row["lokasi"],
        unit=row["nama_unit"],
        unit_code=row["kode_unit"],
        holder_nip=row["nip_bersih"],
    )
