"""SIPBD's synthetic rows: what SIKDa's employees hold, and the property nobody holds.

Holders are taken from SIKDa's ``nips`` export and known here only by NIP; some
forms wrote the NIP in its printed layout ("19800101 200501 1 001"). A few items
are still recorded against NIPs SIKDa no longer has (retired or transferred
staff who never handed them back), and spare equipment waits in warehouses.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from connectors.base import SeedRows, Source, TableRows
from connectors.city import REFERENCE_DATE, STREETS
from connectors.sikda.positions import Unit, units
from connectors.sipbd.catalogue import CAR, HELD, LAPTOP, MOTORBIKE, PROPERTY, Kind
from identity.regions import KECAMATAN

if TYPE_CHECKING:
    import random

    from connectors.city import City

_WHOLE_CITY = 1_900_000
_SEPARATOR_SHARE = 0.06
_UNKNOWN_HOLDER_SHARE = 0.01  # of held items
_WAREHOUSE_SHARE = 0.1  # of held items, kept unassigned
_CAR_SHARE = 0.5  # of structural officials


def seed(city: City, earlier: dict[Source, SeedRows]) -> SeedRows:
    """Assets held by SIKDa's NIPs (and a few departed ones), in warehouses, and property."""
    rng = city.rng("sipbd")
    sikda = earlier[Source.SIKDA].exports
    nips: list[tuple[str, str]] = sikda["nips"]
    postings: dict[str, tuple[str, str, bool]] = sikda["postings"]
    register = _Register(rng, units())
    showcase_heads = {f.head.nik for f in city.showcase}
    for nip, nik in nips:
        opd, workplace, structural = postings[nip]
        held = [kind for kind, share in HELD if rng.random() < share]
        if structural and rng.random() < _CAR_SHARE:
            held.append(CAR)
        if nik in showcase_heads:
            # The demo shows each head's laptop and motorbike.
            held += [k for k in (LAPTOP, MOTORBIKE) if k not in held]
        for kind in held:
            # The showcase heads' motorbike forms carry the printed NIP, so the demo
            # shows the hub finding an asset through separators.
            printed = nik in showcase_heads and kind is MOTORBIKE
            register.add(kind, opd, workplace, nip, printed=printed)
    held_rows = len(register.barang.rows)
    known = {nip for nip, _ in nips}
    for _ in range(max(2, round(held_rows * _UNKNOWN_HOLDER_SHARE))):
        nip = _departed_nip(rng, known)
        opd = rng.choice(register.opds).name
        register.add(rng.choice((LAPTOP, MOTORBIKE)), opd, opd, nip, departed=True)
    for _ in range(max(3, round(held_rows * _WAREHOUSE_SHARE))):
        opd = rng.choice(register.opds).name
        register.add(rng.choice(HELD)[0], opd, f"Gudang {opd}", None)
    scale = len(city.people) / _WHOLE_CITY
    for kib, (whole_city, kinds) in PROPERTY.items():
        for _ in range(max(3 if kib != "F" else 1, round(whole_city * scale))):
            kind = rng.choice(kinds)
            opd, site = register.site(kind)
            register.add(kind, opd, site, None)
    return SeedRows(
        tables={"unit_kerja": register.unit_rows(), "barang": register.barang},
        messy={
            "nip_with_separators": register.separated,
            "no_holder": register.unheld,
            "holder_unknown_to_sikda": register.departed,
        },
    )


def printed_nip(nip: str) -> str:
    """A NIP as printed on decrees and ID cards: "19800101 200501 1 001"."""
    return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"


def _departed_nip(rng: random.Random, known: set[str]) -> str:
    """The NIP of someone who retired or moved away: not in SIKDa any more."""
    while True:
        born = date(rng.randint(1958, 1968), rng.randint(1, 12), rng.randint(1, 28))
        nip = f"{born:%Y%m%d}{rng.randint(1984, 1995)}{rng.choice((1, 3, 4)):02d}"
        nip += f"{rng.randint(1, 2)}{rng.randint(1, 9):03d}"
        if nip not in known:
            known.add(nip)
            return nip


class _Register:
    """The barang rows with their register numbers, and the mess counted as it is made."""

    def __init__(self, rng: random.Random, catalogue: tuple[Unit, ...]) -> None:
        self.rng = rng
        self.opds = [u for u in catalogue if u.parent is None]
        # SIPBD numbers the using units (pengguna barang) its own way.
        self.codes = {u.name: f"1.{n:02d}.01" for n, u in enumerate(self.opds, start=1)}
        self.sites = {u.code: u for u in catalogue}
        self.sub_units = [u for u in catalogue if u.parent is not None]
        self.serials: dict[tuple[str, str], int] = {}
        self.barang = TableRows(
            (
                "id_barang",
                "kode_barang",
                "nomor_register",
                "nama_barang",
                "merk_tipe",
                "kib",
                "tahun_perolehan",
                "nilai_perolehan",
                "kondisi",
                "lokasi",
                "kode_unit",
                "nip_pemegang",
            )
        )
        self.separated = self.unheld = self.departed = 0

    def unit_rows(self) -> TableRows:
        out = TableRows(("kode_unit", "nama_unit"))
        out.rows = [(code, name) for name, code in self.codes.items()]
        return out

    def site(self, kind: Kind) -> tuple[str, str]:
        """The using OPD and the location of a piece of property nobody holds."""
        rng = self.rng
        if kind.kib in ("A", "C") and rng.random() < 0.6:
            # Schools and puskesmas stand on their own land, registered to their OPD.
            unit = rng.choice(self.sub_units)
            assert unit.parent is not None
            return self.sites[unit.parent].name, unit.name
        if kind.kib in ("D", "F"):
            kecamatan = KECAMATAN[rng.choice(sorted(KECAMATAN))]
            street = rng.choice(STREETS)
            return "Dinas Pekerjaan Umum dan Penataan Ruang", f"{street}, Kec. {kecamatan}"
        opd = rng.choice(self.opds).name
        return opd, opd

    def add(
        self,
        kind: Kind,
        opd: str,
        location: str,
        nip: str | None,
        *,
        departed: bool = False,
        printed: bool = False,
    ) -> None:
        rng = self.rng
        code = self.codes[opd]
        self.serials[(code, kind.code)] = serial = self.serials.get((code, kind.code), 0) + 1
        last = kind.last_year if not departed else min(kind.last_year, 2018)
        year = rng.randint(kind.first_year, last)
        stored = nip
        if nip is None:
            self.unheld += 1
        elif printed or rng.random() < _SEPARATOR_SHARE:
            stored = printed_nip(nip)
            self.separated += 1
        self.departed += departed
        name = kind.name
        if kind.kib == "F":
            name = f"{kind.name} {location}"
        self.barang.rows.append(
            (
                len(self.barang.rows) + 1,
                kind.code,
                f"{serial:04d}",
                name,
                rng.choice(kind.brands) if kind.brands else None,
                kind.kib,
                year,
                Decimal(rng.randrange(kind.lowest, kind.highest, kind.step)),
                _condition(rng, kind, year),
                location,
                code,
                stored,
            )
        )


def _condition(rng: random.Random, kind: Kind, year: int) -> str:
    """Land stays good; everything else wears with age."""
    if kind.kib in ("A", "F"):
        return "B"
    age = REFERENCE_DATE.year - year
    if rng.random() < max(0.15, 1 - age * 0.08):
        return "B"
    return "KB" if rng.random() < 0.7 else "RB"
