"""LPSE's rows as plain typed records, with the legacy codes turned into enums."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


class LegalForm(enum.Enum):
    """bentuk usaha: the vendor's legal form."""

    LIMITED_COMPANY = "PT"
    LIMITED_PARTNERSHIP = "CV"
    TRADING_BUSINESS = "UD"
    COOPERATIVE = "KOPERASI"
    INDIVIDUAL = "PERORANGAN"


class VendorPosition(enum.Enum):
    """jabatan pengurus: the person's position in the vendor."""

    PRESIDENT_DIRECTOR = "DIREKTUR UTAMA"
    DIRECTOR = "DIREKTUR"
    COMMISSIONER = "KOMISARIS"
    OWNER = "PEMILIK"
    CHAIR = "KETUA"
    TREASURER = "BENDAHARA"


class ProcurementCategory(enum.Enum):
    """jenis pengadaan."""

    GOODS = "Pengadaan Barang"
    CONSTRUCTION = "Pekerjaan Konstruksi"
    CONSULTANCY = "Jasa Konsultansi Badan Usaha"
    OTHER_SERVICES = "Jasa Lainnya"


class ProcurementMethod(enum.Enum):
    """metode pemilihan."""

    TENDER = "Tender"
    QUICK_TENDER = "Tender Cepat"
    SELECTION = "Seleksi"
    DIRECT_PROCUREMENT = "Pengadaan Langsung"
    DIRECT_APPOINTMENT = "Penunjukan Langsung"
    E_PURCHASING = "E-Purchasing"


class TenderStage(enum.Enum):
    """tahapan: where the package stands."""

    ANNOUNCEMENT = "PENGUMUMAN"
    EVALUATION = "EVALUASI"
    WINNER_DETERMINED = "PENETAPAN PEMENANG"
    COMPLETED = "SELESAI"


class BidStatus(enum.Enum):
    """status peserta: how far the vendor's bid went."""

    REGISTERED = "MENDAFTAR"
    SUBMITTED = "MENAWAR"
    PASSED = "LULUS"
    DISQUALIFIED = "GUGUR"
    WINNER = "MENANG"


@dataclass(frozen=True, slots=True)
class Vendor:
    """penyedia. ``npwp`` is the clean 15 or 16 digits (16: the new format, or a NIK)."""

    vendor_id: int
    npwp: str
    name: str
    legal_form: LegalForm
    address: str | None
    city: str | None
    phone: str | None  # canonical 08…
    registered_on: date | None


@dataclass(frozen=True, slots=True)
class TenderParticipation:
    """One package the vendor took part in (peserta), with the outcome (pemenang)."""

    tender_code: str
    package_name: str
    work_unit: str  # satker
    category: ProcurementCategory
    fiscal_year: int
    budget_ceiling: Decimal | None  # pagu
    owner_estimate: Decimal  # HPS, harga perkiraan sendiri
    method: ProcurementMethod
    stage: TenderStage
    announced_on: date | None
    bid: Decimal | None  # harga penawaran; none before bidding opens
    bid_status: BidStatus
    won: bool
    contract_value: Decimal | None  # harga kontrak; set once the contract is signed


@dataclass(frozen=True, slots=True)
class VendorRole:
    """A person's place in a vendor (pengurus), with the vendor and its tenders."""

    nik: str
    position: VendorPosition
    share_percent: Decimal | None  # persen saham; none for cooperatives
    vendor: Vendor
    tenders: tuple[TenderParticipation, ...]
    manager_id: str  # id_pengurus: the row the crosswalk names it by (pengurus:<id>)
