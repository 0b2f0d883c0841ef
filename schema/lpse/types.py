"""LPSE (Layanan Pengadaan Secara Elektronik): vendor roles and tenders, as GraphQL types."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from connectors.lpse import records

strawberry.enum(records.LegalForm, description="bentuk usaha")
strawberry.enum(records.VendorPosition, description="jabatan pengurus")
strawberry.enum(records.ProcurementCategory, description="jenis pengadaan")
strawberry.enum(records.ProcurementMethod, description="metode pemilihan")
strawberry.enum(records.TenderStage, description="tahapan tender")
strawberry.enum(records.BidStatus, description="status peserta")


@strawberry.type(description="penyedia: a vendor registered in LPSE")
class Vendor:
    npwp: str = strawberry.field(description="NPWP, 15 digits (old) or 16")
    name: str = strawberry.field(description="nama perusahaan")
    legal_form: records.LegalForm
    address: str | None
    city: str | None
    registered_on: date | None


@strawberry.type(description="peserta tender: the vendor's part in one tender package")
class TenderParticipation:
    tender_code: str = strawberry.field(description="kode tender")
    package_name: str = strawberry.field(description="nama paket")
    work_unit: str = strawberry.field(description="satuan kerja (satker)")
    category: records.ProcurementCategory
    fiscal_year: int = strawberry.field(description="tahun anggaran")
    budget_ceiling: Decimal | None = strawberry.field(description="pagu anggaran")
    owner_estimate: Decimal = strawberry.field(description="HPS, harga perkiraan sendiri")
    method: records.ProcurementMethod
    stage: records.TenderStage
    announced_on: date | None
    bid: Decimal | None = strawberry.field(description="harga penawaran")
    bid_status: records.BidStatus
    won: bool = strawberry.field(description="pemenang")
    contract_value: Decimal | None = strawberry.field(description="harga kontrak")


@strawberry.type(description="pengurus/pemilik: the citizen's role in a vendor, with its tenders")
class VendorRole:
    position: records.VendorPosition = strawberry.field(
        name="role", description="jabatan: direktur, komisaris, pemilik…"
    )
    share_percent: Decimal | None = strawberry.field(description="persen saham")
    vendor: Vendor
    tenders: list[TenderParticipation] = strawberry.field(description="tenders, newest first")
