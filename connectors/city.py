"""The synthetic Kota Tangerang every product's rows are drawn from.

Deterministic for a seed: the same ``(citizens, seed)`` gives the same people,
families, phones and roles. Each product's seeder takes a :class:`City` and draws
its own random stream from :meth:`City.rng`, so changing one product's rows does
not shift another's.

Faker's ``id_ID`` locale is used once, to draw pools of names and birthplaces;
the people are then composed from those pools with :mod:`random`, because calling
Faker per person costs minutes for the whole city (1.9 million people).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, TypeVar

from faker import Faker

from identity.nik import encode
from identity.regions import KECAMATAN, KELURAHAN, KOTA_TANGERANG, NEIGHBOURS

Sex = Literal["M", "F"]
T = TypeVar("T")

# Ages, ticket dates and admission years are computed from this day, not from
# today, so a seed gives the same city whenever it is run.
REFERENCE_DATE = date(2026, 11, 1)

RELIGIONS = (
    ("ISLAM", 0.86),
    ("KRISTEN", 0.06),
    ("KATOLIK", 0.03),
    ("BUDDHA", 0.04),
    ("HINDU", 0.005),
    ("KONGHUCU", 0.005),
)
ADULT_OCCUPATIONS = (
    ("KARYAWAN SWASTA", 0.34),
    ("MENGURUS RUMAH TANGGA", 0.2),
    ("WIRASWASTA", 0.17),
    ("BURUH HARIAN LEPAS", 0.08),
    ("PEDAGANG", 0.05),
    ("GURU", 0.02),
    ("PENSIUNAN", 0.03),
    ("BELUM/TIDAK BEKERJA", 0.07),
    ("KARYAWAN BUMN", 0.02),
    ("PEGAWAI NEGERI SIPIL", 0.012),
    ("PPPK", 0.004),
    ("TNI/POLRI", 0.004),
)
CIVIL_SERVANT_OCCUPATIONS = frozenset({"PEGAWAI NEGERI SIPIL", "PPPK"})
STREETS = (
    "Jl. Merdeka",
    "Jl. Daan Mogot",
    "Jl. Imam Bonjol",
    "Jl. Gatot Subroto",
    "Jl. KH. Hasyim Ashari",
    "Jl. Perintis Kemerdekaan",
    "Jl. Moh. Toha",
    "Jl. Raden Saleh",
    "Jl. Hos Cokroaminoto",
    "Jl. Benteng Betawi",
    "Jl. Ciledug Raya",
    "Jl. Sudirman",
    "Jl. Teuku Umar",
    "Jl. Kisamaun",
    "Gg. Masjid",
    "Perum Sudirman Indah",
    "Perum Banjar Wijaya",
    "Komp. Poris Indah",
)
PHONE_PREFIXES = ("0811", "0812", "0813", "0821", "0822", "0852", "0856", "0857", "0878", "0896")


@dataclass(slots=True)
class Person:
    """A citizen as SIAK knows them, plus the phone they give other offices."""

    nik: str
    kk: str
    name: str
    birth_place: str
    birth_date: date
    sex: Sex
    religion: str
    marital_status: str  # BELUM KAWIN, KAWIN, CERAI HIDUP, CERAI MATI
    occupation: str
    education: str
    relationship: str  # hubungan: KEPALA KELUARGA, ISTRI, ANAK, ORANG TUA, FAMILI LAIN
    kecamatan: str  # two-digit code of the kecamatan where they live now
    kelurahan: str
    rt: int
    rw: int
    street: str
    phone: str | None  # canonical 08…; children mostly have none

    def age(self, on: date = REFERENCE_DATE) -> int:
        years = on.year - self.birth_date.year
        return years - ((on.month, on.day) < (self.birth_date.month, self.birth_date.day))


@dataclass(slots=True)
class Family:
    """A family card (Kartu Keluarga): its number, address and members, head first."""

    kk: str
    members: list[Person]
    issued: date

    @property
    def head(self) -> Person:
        return self.members[0]


@dataclass(slots=True)
class City:
    """The whole synthetic population, and the families every product must include."""

    seed: int
    people: list[Person]
    families: list[Family]
    # Families whose members together have rows in all eight products, printed
    # by the demo and used by the end-to-end tests.
    showcase: list[Family] = field(default_factory=list)
    names: NamePools | None = None
    phones: set[str] = field(default_factory=set)  # numbers held, so none is handed out twice

    def rng(self, purpose: str) -> random.Random:
        """An independent, reproducible random stream for one seeder."""
        return random.Random(f"{self.seed}:{purpose}")

    def adults(self) -> list[Person]:
        return [p for p in self.people if p.age() >= 18]

    def outsider(self, rng: random.Random, *, age_range: tuple[int, int] = (18, 45)) -> Person:
        """Someone registered in Kabupaten Tangerang (36.03) or Tangerang Selatan (36.74).

        The NIK is valid but belongs to no one in SIAK's Kota Tangerang register:
        products that accept applicants from outside the city hold such rows.
        """
        assert self.names is not None
        regency = rng.choice(sorted(NEIGHBOURS))
        region = regency + rng.choice(NEIGHBOURS[regency])
        sex: Sex = rng.choice(("M", "F"))
        born = _birth_date(rng, *age_range)
        nik = encode(region, born, sex, rng.randint(5000, 9999))
        return Person(
            nik=nik,
            kk=encode(region, born, "M", rng.randint(5000, 9999)),
            name=self.names.full_name(rng, sex),
            birth_place=rng.choice(("Tangerang", "Serang", "Jakarta", "Bogor")),
            birth_date=born,
            sex=sex,
            religion="ISLAM",
            marital_status="BELUM KAWIN",
            occupation="BELUM/TIDAK BEKERJA",
            education="SLTA/SEDERAJAT",
            relationship="ANAK",
            kecamatan="",
            kelurahan="",
            rt=1,
            rw=1,
            street="",
            phone=new_phone(rng, self.phones),
        )


@dataclass(slots=True)
class NamePools:
    male: list[str]
    female: list[str]
    family: list[str]
    places: list[str]

    @classmethod
    def draw(cls, seed: int) -> NamePools:
        fake = Faker("id_ID")
        fake.seed_instance(seed)
        return cls(
            male=sorted({fake.first_name_male() for _ in range(600)}),
            female=sorted({fake.first_name_female() for _ in range(600)}),
            family=sorted({fake.last_name() for _ in range(600)}),
            places=sorted({fake.city_name() for _ in range(200)} | {"Tangerang", "Jakarta"}),
        )

    def full_name(self, rng: random.Random, sex: Sex, family_name: str | None = None) -> str:
        first = rng.choice(self.male if sex == "M" else self.female)
        last = family_name or rng.choice(self.family)
        if rng.random() < 0.3:
            middle = rng.choice(self.male if sex == "M" else self.female)
            return f"{first} {middle} {last}".upper()
        return f"{first} {last}".upper()


def new_phone(rng: random.Random, taken: set[str] | None = None) -> str:
    """A mobile number; with ``taken``, one nobody in it holds, then added to it.

    An operator gives a number to one subscriber at a time: two living strangers never
    hold the same one (numbers passed on after a death are planted on their own). At
    1.9 M citizens, random draws gave about 900 such pairs, walk-ins the linker was
    then counted wrong on. Drawing again only on a clash leaves a small city as it was.
    """
    while True:
        phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**7, 10**8)}"
        if taken is None:
            return phone
        if phone not in taken:
            taken.add(phone)
            return phone


def _birth_date(rng: random.Random, min_age: int, max_age: int) -> date:
    days = rng.randint(min_age * 365 + 1, max_age * 365 + 300)
    return REFERENCE_DATE - timedelta(days=days)


def weighted(rng: random.Random, table: tuple[tuple[T, float], ...]) -> T:
    """One value of ``table``'s (value, weight) pairs, drawn by weight."""
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


class _Registrar:
    """Hands out NIK and KK serials: unique per region and encoded date."""

    def __init__(self) -> None:
        self.serials: dict[str, int] = {}
        self.phones: set[str] = set()  # every number handed out, citizens' and outsiders'

    def nik(self, region: str, born: date, sex: Sex) -> str:
        prefix = encode(region, born, sex, 1)[:12]
        serial = self.serials.get(prefix, 0) + 1
        self.serials[prefix] = serial
        return prefix + f"{serial:04d}"

    def kk(self, region: str, issued: date) -> str:
        prefix = "KK" + region + issued.strftime("%d%m%y")
        serial = self.serials.get(prefix, 0) + 1
        self.serials[prefix] = serial
        return prefix[2:] + f"{serial:04d}"


def build_city(citizens: int, seed: int) -> City:
    """Compose ``citizens`` people into families, deterministically for ``seed``."""
    if citizens < 50:
        raise ValueError("a city needs at least 50 citizens to hold every product's rows")
    rng = random.Random(f"{seed}:siak")
    names = NamePools.draw(seed)
    registrar = _Registrar()
    people: list[Person] = []
    families: list[Family] = []
    showcase: list[Family] = []
    while len(people) < citizens:
        showcase_family = len(showcase) < 3
        family = _family(rng, names, registrar, showcase=showcase_family)
        family.members = family.members[: citizens - len(people)]
        families.append(family)
        people.extend(family.members)
        if showcase_family:
            showcase.append(family)
    return City(
        seed=seed,
        people=people,
        families=families,
        showcase=showcase,
        names=names,
        phones=registrar.phones,
    )


def _family(rng: random.Random, names: NamePools, reg: _Registrar, *, showcase: bool) -> Family:
    kec = rng.choice(sorted(KECAMATAN))
    kel = rng.choice(KELURAHAN[kec])
    rt, rw = rng.randint(1, 12), rng.randint(1, 9)
    street = f"{rng.choice(STREETS)} No. {rng.randint(1, 150)}"
    # Most people were first registered where they live; some moved within the city.
    origin = kec if rng.random() < 0.8 else rng.choice(sorted(KECAMATAN))
    region = KOTA_TANGERANG + origin
    family_name = rng.choice(names.family)

    def person(sex: Sex, age: tuple[int, int], relationship: str, marital: str) -> Person:
        born = _birth_date(rng, *age)
        adult = REFERENCE_DATE.year - born.year >= 18
        if not adult:
            occupation, education = "PELAJAR/MAHASISWA", "SD/SEDERAJAT"
        elif relationship == "ORANG TUA" and REFERENCE_DATE.year - born.year > 60:
            occupation, education = "PENSIUNAN", "SLTP/SEDERAJAT"
        else:
            occupation = weighted(rng, ADULT_OCCUPATIONS)
            education = rng.choice(("SLTA/SEDERAJAT", "DIPLOMA III", "DIPLOMA IV/STRATA I"))
        if sex == "M" and occupation == "MENGURUS RUMAH TANGGA":
            occupation = "KARYAWAN SWASTA"
        # Nobody passes CPNS before 21 in practice, and civil servants retire at 58
        # (PPPK contracts end by 59): SIKDa must be able to hold everyone SIAK calls one.
        age_now = REFERENCE_DATE.year - born.year
        if occupation in CIVIL_SERVANT_OCCUPATIONS and not 21 <= age_now <= 58:
            occupation = "KARYAWAN SWASTA" if age_now < 58 else "PENSIUNAN"
        uses_name = family_name if relationship == "ANAK" and rng.random() < 0.5 else None
        return Person(
            nik=reg.nik(region, born, sex),
            kk="",
            name=names.full_name(rng, sex, uses_name),
            birth_place=("TANGERANG" if rng.random() < 0.6 else rng.choice(names.places).upper()),
            birth_date=born,
            sex=sex,
            religion=weighted(rng, RELIGIONS),
            marital_status=marital,
            occupation=occupation,
            education=education,
            relationship=relationship,
            kecamatan=kec,
            kelurahan=kel,
            rt=rt,
            rw=rw,
            street=street,
            phone=new_phone(rng, reg.phones) if adult else None,
        )

    members: list[Person] = []
    if showcase:
        head = person("M", (44, 50), "KEPALA KELUARGA", "KAWIN")
        head.occupation = "PEGAWAI NEGERI SIPIL"
        head.education = "DIPLOMA IV/STRATA I"
        wife = person("F", (38, 43), "ISTRI", "KAWIN")
        wife.occupation = "WIRASWASTA"
        members = [head, wife, person("M", (12, 13), "ANAK", "BELUM KAWIN")]
        members.append(person("F", (6, 7), "ANAK", "BELUM KAWIN"))
        members.append(person("M", (20, 22), "ANAK", "BELUM KAWIN"))
    else:
        kind = rng.random()
        if kind < 0.12:  # one person living alone
            sex: Sex = rng.choice(("M", "F"))
            marital = rng.choice(("BELUM KAWIN", "CERAI HIDUP", "CERAI MATI"))
            members = [person(sex, (19, 80), "KEPALA KELUARGA", marital)]
        else:
            single_mother = kind < 0.2
            head_sex: Sex = "F" if single_mother else "M"
            head = person(
                head_sex, (24, 70), "KEPALA KELUARGA", "CERAI HIDUP" if single_mother else "KAWIN"
            )
            members = [head]
            if not single_mother:
                members.append(person("F", (22, 65), "ISTRI", "KAWIN"))
            head_age = head.age()
            for _ in range(rng.choice((0, 1, 1, 2, 2, 2, 3, 3, 4))):
                oldest = max(0, min(head_age - 20, 30))
                if oldest < 1:
                    break
                members.append(person(rng.choice(("M", "F")), (0, oldest), "ANAK", "BELUM KAWIN"))
            if rng.random() < 0.06:
                parent = person(rng.choice(("M", "F")), (62, 85), "ORANG TUA", "CERAI MATI")
                members.append(parent)
    # Children without a phone of their own give a parent's, as people do.
    for m in members:
        if m.phone is None and m.relationship == "ANAK" and rng.random() < 0.3:
            m.phone = members[0].phone
    issued = REFERENCE_DATE - timedelta(days=rng.randint(30, 365 * 15))
    kk = reg.kk(KOTA_TANGERANG + kec, issued)
    for m in members:
        m.kk = kk
    return Family(kk=kk, members=members, issued=issued)
