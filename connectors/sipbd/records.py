"""SIPBD's rows as plain typed records, with the legacy codes turned into enums."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal


class AssetCategory(enum.Enum):
    """KIB (kartu inventaris barang)."""

    LAND = "A"
    """KIB A: tanah."""
    EQUIPMENT_AND_MACHINERY = "B"
    """KIB B: peralatan dan mesin (vehicles, computers, office equipment)."""
    BUILDINGS = "C"
    """KIB C: gedung dan bangunan."""
    ROADS_IRRIGATION_NETWORKS = "D"
    """KIB D: jalan, irigasi dan jaringan."""
    OTHER_FIXED_ASSETS = "E"
    """KIB E: aset tetap lainnya (books, works of art, plants and animals)."""
    CONSTRUCTION_IN_PROGRESS = "F"
    """KIB F: konstruksi dalam pengerjaan."""


class AssetCondition(enum.Enum):
    """kondisi barang."""

    GOOD = "B"
    """baik."""
    FAIR = "KB"
    """kurang baik."""
    BADLY_DAMAGED = "RB"
    """rusak berat."""


@dataclass(frozen=True, slots=True)
class Asset:
    """A registered item of regional property, and the employee who holds it, if any."""

    asset_id: int
    asset_code: str  # kode barang, e.g. "1.3.2.10.02.02.002"
    register_number: str  # nomor register within the unit and asset code
    name: str
    brand: str | None  # merk/tipe
    category: AssetCategory
    acquisition_year: int
    value: Decimal  # nilai perolehan, rupiah
    condition: AssetCondition
    location: str | None
    unit: str
    unit_code: str
    holder_nip: str | None  # 18 digits, separators removed
