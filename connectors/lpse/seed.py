"""LPSE's synthetic rows: vendors, their management, packages, bids and winners.

About one vendor per 400 citizens, each run by one to three adults of the city
(entrepreneurs above all; never civil servants, who may not run vendors). Each
showcase wife directs a CV that bid on two packages and won one of them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from connectors.base import SeedRows, Source, TableRows
from connectors.city import REFERENCE_DATE, STREETS
from connectors.lpse.catalogue import NAME_FIRST, NAME_SECOND, TRADE_FIRST
from connectors.lpse.records import LegalForm, ProcurementCategory, VendorPosition
from connectors.lpse.tenders import Package, PackageDrafter, package_tables
from connectors.mess import LegacyMess
from identity.regions import KABUPATEN_TANGERANG, KECAMATAN

if TYPE_CHECKING:
    from connectors.city import City, Family, Person

VENDORS_PER_CITIZEN = 1 / 400
PACKAGES_PER_VENDOR = 0.8
FISCAL_YEARS = (2024, 2025, 2026)
OUT_OF_CITY_RATE = 0.07  # PT/CV managers registered in a neighbouring regency
SEPARATOR_RATE = 0.04
PHONE_REFORMAT_RATE = 0.15
FORMS = (
    (LegalForm.LIMITED_PARTNERSHIP, 0.45),
    (LegalForm.LIMITED_COMPANY, 0.30),
    (LegalForm.TRADING_BUSINESS, 0.10),
    (LegalForm.INDIVIDUAL, 0.10),
    (LegalForm.COOPERATIVE, 0.05),
)
# The forms of the first regular vendors, which carry one of each kind of mess:
# an out-of-city director, a NIK with separators, an NPWP that is a NIK.
FIRST_FORMS = (LegalForm.LIMITED_PARTNERSHIP, LegalForm.LIMITED_COMPANY, LegalForm.INDIVIDUAL)
# Civil servants, soldiers and police may not run a vendor; students are too young.
BARRED = frozenset({"PEGAWAI NEGERI SIPIL", "PPPK", "TNI/POLRI", "PELAJAR/MAHASISWA"})
P = VendorPosition


@dataclass(slots=True)
class _Manager:
    person: Person
    position: VendorPosition
    share: int | None
    separators: bool = False


def seed(city: City, earlier: dict[Source, SeedRows]) -> SeedRows:
    """Vendors, management, packages, bids and winners; the mess counted in ``messy``."""
    rng = city.rng("lpse")
    vendors = _Vendors(city, rng)
    showcase_ids = [vendors.showcase_cv(family) for family in city.showcase]
    total = max(round(len(city.people) * VENDORS_PER_CITIZEN), len(showcase_ids) + 5)
    for index in range(total - len(showcase_ids)):
        # The first regular vendors carry one of each kind of mess, so that even a
        # small test city holds every kind; the rest draw it at the city's rates.
        vendors.regular(index)
    drafter = PackageDrafter(rng, vendors.ids)
    packages: list[Package] = []
    for _ in range(max(round(total * PACKAGES_PER_VENDOR), 6)):
        package = drafter.draft(rng.choice(FISCAL_YEARS))
        drafter.bid(package)
        packages.append(package)
    for vendor_id in showcase_ids:
        won = drafter.draft(
            2025, category=ProcurementCategory.CONSTRUCTION, min_ceiling=400_000_000
        )
        drafter.bid(won, winner=vendor_id)
        lost = drafter.draft(
            2026,
            category=ProcurementCategory.CONSTRUCTION,
            min_ceiling=400_000_000,
            announced=REFERENCE_DATE - timedelta(days=rng.randint(100, 200)),
        )
        drafter.bid(lost, loser=vendor_id)
        packages += [won, lost]
    paket, peserta, pemenang = package_tables(rng, packages)
    return SeedRows(
        tables={
            "penyedia": vendors.penyedia,
            "pengurus": vendors.pengurus,
            "paket": paket,
            "peserta": peserta,
            "pemenang": pemenang,
        },
        messy=vendors.counts(),
    )


class _Vendors:
    def __init__(self, city: City, rng: random.Random) -> None:
        self.city = city
        self.rng = rng
        self.ids: list[int] = []
        self.penyedia = TableRows(
            (
                "id_penyedia",
                "npwp",
                "nama_perusahaan",
                "bentuk_usaha",
                "alamat",
                "kota",
                "telepon",
                "tgl_daftar",
            )
        )
        self.pengurus = TableRows(
            ("id_pengurus", "id_penyedia", "nik", "nama", "jabatan", "persen_saham")
        )
        self.messy = dict.fromkeys(("out_of_city", "npwp_is_nik"), 0)
        self.mess = LegacyMess(rng, nik_share=SEPARATOR_RATE, phone_share=PHONE_REFORMAT_RATE)
        self._npwp_serial = rng.randrange(100_000, 300_000)
        showcase = {m.nik for f in city.showcase for m in f.members}
        youngest = REFERENCE_DATE.replace(year=REFERENCE_DATE.year - 23)
        oldest = REFERENCE_DATE.replace(year=REFERENCE_DATE.year - 70)
        self.entrepreneurs: list[Person] = []
        self.others: list[Person] = []
        for p in city.people:
            eligible = oldest < p.birth_date <= youngest and p.occupation not in BARRED
            if eligible and p.nik not in showcase:
                pool = self.entrepreneurs if p.occupation == "WIRASWASTA" else self.others
                pool.append(p)

    def counts(self) -> dict[str, int]:
        """Every kind of mess made so far, counted."""
        return {
            "nik_with_separators": self.mess.nik_with_separators,
            "out_of_city": self.messy["out_of_city"],
            "npwp_is_nik": self.messy["npwp_is_nik"],
            "phone_reformatted": self.mess.phone_reformatted,
        }

    def showcase_cv(self, family: Family) -> int:
        wife = next(m for m in family.members if m.relationship == "ISTRI")
        partner = _Manager(self._pick(), P.COMMISSIONER, 40)
        return self._write(LegalForm.LIMITED_PARTNERSHIP, [_Manager(wife, P.DIRECTOR, 60), partner])

    def regular(self, index: int) -> int:
        rng = self.rng
        form = rng.choices([f for f, _ in FORMS], weights=[w for _, w in FORMS])[0]
        if index < len(FIRST_FORMS):
            form = FIRST_FORMS[index]
        positions = _positions(rng, form)
        shares = _shares(rng, len(positions)) if form is not LegalForm.COOPERATIVE else None
        managers: list[_Manager] = []
        for n, position in enumerate(positions):
            company = form in (LegalForm.LIMITED_COMPANY, LegalForm.LIMITED_PARTNERSHIP)
            if company and ((index == 0 and n == 0) or rng.random() < OUT_OF_CITY_RATE):
                person = self.city.outsider(rng, age_range=(28, 65))
                self.messy["out_of_city"] += 1
            else:
                person = self._pick()
            # Drawn here, before the row is written (so mess.separated, not mess.nik):
            # moving the draw would change the rows a seed yields.
            separators = (index == 1 and n == 0) or rng.random() < SEPARATOR_RATE
            share = shares[n] if shares else None
            managers.append(_Manager(person, position, share, separators))
        return self._write(form, managers)

    def _pick(self) -> Person:
        pool = self.entrepreneurs if self.rng.random() < 0.65 else self.others
        return self.rng.choice(pool or self.entrepreneurs or self.others)

    def _write(self, form: LegalForm, managers: list[_Manager]) -> int:
        rng = self.rng
        vendor_id = 1001 + len(self.ids)
        self.ids.append(vendor_id)
        lead = managers[0].person
        individual = form is LegalForm.INDIVIDUAL
        if individual or (form is LegalForm.TRADING_BUSINESS and rng.random() < 0.5):
            npwp = lead.nik  # individuals now file under their NIK
            self.messy["npwp_is_nik"] += 1
        else:
            npwp = self._company_npwp()
        if lead.kecamatan:
            address = f"{lead.street}, Kel. {lead.kelurahan}, Kec. {KECAMATAN[lead.kecamatan]}"
            town = "KOTA TANGERANG"
        else:
            address = f"{rng.choice(STREETS)} No. {rng.randint(1, 150)}"
            town = (
                "KABUPATEN TANGERANG"
                if lead.nik.startswith(KABUPATEN_TANGERANG)
                else "KOTA TANGERANG SELATAN"
            )
        phone = self.mess.phone(lead.phone)
        registered = date(2010, 1, 1) + timedelta(days=rng.randint(0, 5800))
        name = lead.name if individual else _company_name(rng, form)
        self.penyedia.rows.append(
            (vendor_id, npwp, name, form.value, address, town, phone, registered)
        )
        for m in managers:
            nik = self.mess.separated(m.person.nik) if m.separators else m.person.nik
            share = Decimal(m.share) if m.share is not None else None
            row_id = len(self.pengurus.rows) + 1
            self.pengurus.rows.append(
                (row_id, vendor_id, nik, m.person.name, m.position.value, share)
            )
        return vendor_id

    def _company_npwp(self) -> str:
        """An NPWP of the old 15-digit layout ``01.234.567.8-416.000``, sometimes the new 16."""
        rng = self.rng
        self._npwp_serial += rng.randint(1, 40)
        serial = f"{self._npwp_serial:06d}"
        digits = (
            f"0{rng.randint(1, 3)}{serial}{rng.randrange(10)}{rng.choice(('402', '411', '416'))}000"
        )
        if rng.random() < 0.1:
            return "0" + digits  # registered since 2024: the 16-digit layout, stored bare
        d = digits
        return f"{d[:2]}.{d[2:5]}.{d[5:8]}.{d[8]}-{d[9:12]}.{d[12:]}"


def _positions(rng: random.Random, form: LegalForm) -> list[VendorPosition]:
    if form is LegalForm.LIMITED_COMPANY:
        return [P.PRESIDENT_DIRECTOR, P.COMMISSIONER, P.DIRECTOR][: rng.choice((1, 2, 2, 3))]
    if form is LegalForm.LIMITED_PARTNERSHIP:
        return [P.DIRECTOR, P.COMMISSIONER][: rng.choice((1, 2, 2))]
    if form is LegalForm.COOPERATIVE:
        return [P.CHAIR, P.TREASURER][: rng.choice((1, 2))]
    return [P.OWNER]


def _shares(rng: random.Random, holders: int) -> list[int]:
    """Whole-five percentages that add up to 100, the largest to the first holder."""
    if holders == 1:
        return [100]
    cuts = sorted(rng.sample(range(1, 20), holders - 1))
    parts = [(b - a) * 5 for a, b in zip([0, *cuts], [*cuts, 20], strict=True)]
    return sorted(parts, reverse=True)


def _company_name(rng: random.Random, form: LegalForm) -> str:
    second = rng.choice(NAME_SECOND)
    if form is LegalForm.TRADING_BUSINESS:
        return f"UD. {rng.choice(TRADE_FIRST)} {second}".upper()
    if form is LegalForm.COOPERATIVE:
        return f"KOPERASI JASA {rng.choice(NAME_FIRST)} {second}".upper()
    return f"{form.value}. {rng.choice(NAME_FIRST)} {second}".upper()
