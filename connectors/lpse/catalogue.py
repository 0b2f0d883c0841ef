"""The words LPSE's synthetic rows are composed from: vendor names, work units, packages.

Each procurement category carries package-name templates with the work units
(satker) that buy such packages, and the range its budget ceilings (pagu) are
drawn from.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.lpse.records import ProcurementCategory

NAME_FIRST = (
    "Karya", "Bangun", "Cipta", "Mitra", "Sinar", "Putra", "Bumi", "Cahaya", "Graha",
    "Tunas", "Mega", "Anugerah", "Berkah", "Duta", "Prima", "Surya", "Harapan", "Citra",
)  # fmt: skip
NAME_SECOND = (
    "Mandiri", "Sejahtera", "Persada", "Abadi", "Utama", "Perkasa", "Nusantara", "Lestari",
    "Makmur", "Sentosa", "Konstruksi", "Teknik", "Pratama", "Gemilang", "Jaya", "Indah",
)  # fmt: skip
TRADE_FIRST = ("Sumber", "Berkah", "Maju", "Sinar", "Rizki", "Toko")

RIVERS = ("Cisadane", "Angke", "Sabi", "Cirarab", "Mookervart")
FACILITIES = ("Gedung Puskesmas", "Taman Kota", "Pasar Rakyat", "Rusunawa", "Kantor Kelurahan")
HOSPITALS = ("RSUD Kota Tangerang", "Puskesmas", "Labkesda Kota Tangerang")

# Kota Tangerang's own threshold for direct procurement of goods, works and
# services; consultancy has a lower one.
DIRECT_LIMIT = 200_000_000
DIRECT_LIMIT_CONSULTANCY = 100_000_000


PUPR = "Dinas Pekerjaan Umum dan Penataan Ruang"
PERKIM = "Dinas Perumahan, Permukiman dan Pertanahan"
DINDIK = "Dinas Pendidikan"
DINKES = "Dinas Kesehatan"
RSUD = "RSUD Kota Tangerang"
OFFICES = (
    "Sekretariat Daerah",
    "Dinas Komunikasi dan Informatika",
    "Dinas Perhubungan",
    "Satuan Polisi Pamong Praja",
    "Badan Penanggulangan Bencana Daerah",
)


@dataclass(frozen=True, slots=True)
class Category:
    """A kind of procurement: package-name templates, each with the work units that buy it."""

    kind: ProcurementCategory
    weight: float
    templates: tuple[tuple[str, tuple[str, ...]], ...]
    ceiling: tuple[int, int]  # pagu range in rupiah, drawn log-uniformly


CATEGORIES: tuple[Category, ...] = (
    Category(
        ProcurementCategory.CONSTRUCTION,
        0.35,
        (
            ("Pembangunan Saluran Drainase {street} Kel. {kel}", (PUPR,)),
            ("Peningkatan Jalan Lingkungan RW {rw:02d} Kel. {kel}", (PERKIM,)),
            ("Rehabilitasi Gedung SD Negeri {kel} {n}", (DINDIK,)),
            ("Pembangunan Ruang Kelas Baru SMP Negeri {n} Tangerang", (DINDIK,)),
            ("Pembangunan Turap Kali {river} Kel. {kel}", (PUPR,)),
            ("Pemeliharaan Berkala {street}", (PUPR,)),
        ),
        (80_000_000, 12_000_000_000),
    ),
    Category(
        ProcurementCategory.GOODS,
        0.35,
        (
            ("Pengadaan Alat Kesehatan {hospital} TA {year}", (DINKES, RSUD)),
            ("Pengadaan Obat dan Bahan Medis Habis Pakai TA {year}", (DINKES, RSUD)),
            ("Pengadaan Laptop dan Komputer TA {year}", (DINDIK, *OFFICES)),
            ("Belanja Alat Tulis Kantor TA {year}", OFFICES),
            ("Pengadaan Meja dan Kursi Siswa SD Negeri {kel} {n}", (DINDIK,)),
            ("Pengadaan Kendaraan Operasional TA {year}", OFFICES),
        ),
        (20_000_000, 6_000_000_000),
    ),
    Category(
        ProcurementCategory.CONSULTANCY,
        0.12,
        (
            ("Jasa Konsultansi Perencanaan {facility} {kel}", (PUPR, PERKIM)),
            ("Jasa Konsultansi Pengawasan {facility} {kel}", (PUPR, PERKIM)),
            ("Penyusunan Studi Kelayakan Jembatan Kali {river}", (PUPR,)),
        ),
        (50_000_000, 2_000_000_000),
    ),
    Category(
        ProcurementCategory.OTHER_SERVICES,
        0.18,
        (
            ("Jasa Kebersihan Gedung TA {year}", (RSUD, *OFFICES)),
            ("Jasa Keamanan Kantor TA {year}", OFFICES),
            ("Jasa Pemeliharaan AC dan Genset TA {year}", (RSUD, *OFFICES)),
            ("Sewa Kendaraan Operasional TA {year}", OFFICES),
            ("Jasa Angkutan Sampah Wilayah Kec. {kec}", ("Dinas Lingkungan Hidup",)),
        ),
        (50_000_000, 3_000_000_000),
    ),
)
