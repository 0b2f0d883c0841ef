"""SIPBD (Sistem Informasi Pengelolaan Barang Daerah): regional assets, as GraphQL types."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from connectors.sipbd import records

strawberry.enum(
    records.AssetCategory,
    description="KIB A–F: tanah, peralatan dan mesin, gedung dan bangunan, jalan irigasi"
    " jaringan, aset tetap lainnya, konstruksi dalam pengerjaan",
)
strawberry.enum(
    records.AssetCondition, description="kondisi: B baik, KB kurang baik, RB rusak berat"
)


@strawberry.type(description="barang milik daerah: one regional asset")
class Asset:
    asset_code: str = strawberry.field(description="kode barang")
    register_number: str = strawberry.field(description="nomor register")
    name: str = strawberry.field(description="nama barang")
    brand: str | None = strawberry.field(description="merk/tipe")
    category: records.AssetCategory = strawberry.field(description="KIB")
    acquisition_year: int = strawberry.field(description="tahun perolehan")
    value: Decimal = strawberry.field(description="nilai perolehan (rupiah)")
    condition: records.AssetCondition
    location: str | None = strawberry.field(description="lokasi")
    unit: str = strawberry.field(description="unit kerja (OPD) that owns it")
    unit_code: str
    holder_nip: str | None = strawberry.field(description="NIP pemegang")
