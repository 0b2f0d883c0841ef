"""The kinds of property the city registers: code, KIB, brands, price and age ranges."""

from __future__ import annotations

from dataclasses import dataclass

_JUTA = 1_000_000
_MILIAR = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Kind:
    """One kode barang (Permendagri 108/2016 layout) and how such items are bought."""

    code: str
    name: str
    kib: str
    brands: tuple[str, ...]
    lowest: int  # acquisition value range, rupiah
    highest: int
    first_year: int  # acquisition year range
    last_year: int

    @property
    def step(self) -> int:
        """Prices are round: to the thousand for equipment, to the million for property."""
        return 1_000 if self.highest < _MILIAR else _JUTA


LAPTOP = Kind(
    "1.3.2.10.02.02.002",
    "Laptop",
    "B",
    (
        "Lenovo ThinkPad E14",
        "HP ProBook 440 G9",
        "Asus ExpertBook B1",
        "Acer TravelMate P214",
        "Dell Latitude 3420",
    ),
    9 * _JUTA,
    19 * _JUTA,
    2017,
    2026,
)
MOTORBIKE = Kind(
    "1.3.2.02.01.04.001",
    "Sepeda Motor",
    "B",
    ("Honda Vario 125", "Honda Beat", "Yamaha NMAX", "Honda Supra X 125"),
    17 * _JUTA,
    30 * _JUTA,
    2012,
    2025,
)
DESKTOP = Kind(
    "1.3.2.10.02.02.001",
    "Personal Computer",
    "B",
    ("Lenovo ThinkCentre M70", "HP ProDesk 400 G7", "Dell OptiPlex 3080"),
    8 * _JUTA,
    16 * _JUTA,
    2015,
    2025,
)
PRINTER = Kind(
    "1.3.2.10.02.03.003",
    "Printer",
    "B",
    ("Epson L3210", "HP LaserJet M211", "Canon Pixma G2010", "Brother HL-L2370"),
    2 * _JUTA,
    6 * _JUTA,
    2015,
    2025,
)
PROJECTOR = Kind(
    "1.3.2.05.01.04.001",
    "LCD Projector",
    "B",
    ("Epson EB-X51", "BenQ MX560"),
    6 * _JUTA,
    12 * _JUTA,
    2016,
    2025,
)
CAR = Kind(
    "1.3.2.02.01.01.003",
    "Minibus",
    "B",
    ("Toyota Kijang Innova", "Toyota Innova Zenix", "Mitsubishi Xpander"),
    250 * _JUTA,
    450 * _JUTA,
    2014,
    2025,
)
# What an employee is handed, with the share of employees who hold one.
HELD: tuple[tuple[Kind, float], ...] = (
    (LAPTOP, 0.55),
    (DESKTOP, 0.25),
    (MOTORBIKE, 0.12),
    (PRINTER, 0.1),
    (PROJECTOR, 0.03),
)

# Property nobody holds, per KIB: code, name, value range in miliar rupiah,
# acquisition years, and how many the whole city (1.9 million people) registers;
# a smaller city registers proportionally fewer, but at least a few of each.
_PROPERTY_ROWS: dict[str, tuple[int, tuple[tuple[str, str, float, float, int, int], ...]]] = {
    "A": (3_000, (
        ("1.3.1.01.01.01.004", "Tanah Bangunan Kantor Pemerintah", 1, 30, 1985, 2022),
        ("1.3.1.01.01.01.005", "Tanah Bangunan Pendidikan", 1, 12, 1980, 2020),
        ("1.3.1.01.01.01.006", "Tanah Bangunan Kesehatan", 1, 15, 1985, 2020),
    )),
    "C": (4_000, (
        ("1.3.3.01.01.01.001", "Bangunan Gedung Kantor Permanen", 1, 40, 1990, 2024),
        ("1.3.3.01.01.02.001", "Bangunan Gedung Sekolah", 1, 15, 1985, 2024),
        ("1.3.3.01.01.04.001", "Bangunan Puskesmas", 2, 20, 1990, 2024),
    )),
    "D": (3_000, (
        ("1.3.4.01.01.01.001", "Jalan Kota", 0.5, 25, 1990, 2025),
        ("1.3.4.03.01.06.001", "Saluran Drainase", 0.2, 8, 1995, 2025),
        ("1.3.4.01.02.01.001", "Jembatan", 1, 30, 1990, 2024),
    )),
    "E": (2_000, (
        ("1.3.5.01.01.01.001", "Buku Umum", 0.002, 0.04, 2005, 2025),
        ("1.3.5.02.01.01.001", "Lukisan", 0.005, 0.15, 1995, 2024),
        ("1.3.5.03.01.01.001", "Tanaman Peneduh", 0.001, 0.02, 2010, 2025),
    )),
    "F": (150, (
        ("1.3.6.01.01.01.001", "Konstruksi Gedung", 2, 60, 2025, 2026),
        ("1.3.6.02.01.01.001", "Konstruksi Jalan", 1, 20, 2025, 2026),
    )),
}  # fmt: skip
PROPERTY: dict[str, tuple[int, tuple[Kind, ...]]] = {
    kib: (
        whole_city,
        tuple(
            Kind(code, name, kib, (), int(low * _MILIAR), int(high * _MILIAR), first, last)
            for code, name, low, high, first, last in kinds
        ),
    )
    for kib, (whole_city, kinds) in _PROPERTY_ROWS.items()
}
