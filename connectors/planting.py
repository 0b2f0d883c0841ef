"""The mess real registers have, planted in the synthetic city's rows and counted exactly.

The seeders' own mess (:mod:`connectors.mess`) is the mess the linker was written
for. This is the rest, as Indonesian registers hold it: NIKs with one digit
mistyped or two swapped, a family card number typed as a NIK, a parent's NIK in a
child's field, names written as forms write them, birth dates missing or
mistyped, phones in every format, a parent moved to a new family card after a
divorce, deaths (their phones recycled to strangers who walk in), and people
registered twice under two NIKs.

Each record gets at most one class, drawn from a stream of its own
(``mess:realistic``), after every seeder ran: the rows the seeders made are the
same with or without it, except those planted. The showcase families are never
touched. What was planted is written into the :class:`~connectors.truth.Truth`
beside each record, and counted per (source, class).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from connectors.base import SeedRows, Source, TableRows
from connectors.city import REFERENCE_DATE
from connectors.mess import stored_plain
from connectors.names_written import birth_date_typo, name_variant, phone_written
from connectors.truth import CLEAN, NIK_RECORDS

if TYPE_CHECKING:
    import random

    from connectors.city import City, Person
    from connectors.truth import Truth

# Share of the clean records carrying a NIK that get each class, drawn in this order.
NIK_SHARES: tuple[tuple[str, float], ...] = (
    ("nik_digit_typo", 0.02),
    ("nik_transposed", 0.01),
    ("kk_as_nik", 0.005),
    ("name_variant", 0.04),
    ("phone_format", 0.03),
    ("birth_date_typo", 0.01),
    ("registered_twice", 0.004),
)
PARENT_NIK_SHARE = 0.03  # PSB: the parent's NIK typed in the child's field
BIRTH_DATE_MISSING_SHARE = 0.01  # PSB: the birth date left empty
PARENT_NAME_SHARE = 0.05  # PSB: the parent's name written another way
NEW_CARD_SHARE = 0.02  # PSB parents (mothers) who left the card after a divorce or remarriage
DECEASED_WALK_IN_SHARE = 0.04  # walk-ins whose phone belonged to someone who has since died
DEATH_SHARE = 0.004  # other citizens SIAK records as dead
WINDOW_DAYS = 91  # Antrian's tickets span this many days before the reference date
MUHAMMAD_SHARE = 0.12  # men named Muhammad first, as registers hold them

_NOT_DIGITS = re.compile(r"\D")
_PHONE_COLUMNS = {
    Source.CPNS: "no_hp",
    Source.SIKDA: "no_hp",
    Source.APK: "no_hp",
    Source.ANTRIAN: "no_hp",
}
_BIRTH_COLUMNS = {Source.PSB: "tanggal_lahir", Source.CPNS: "tanggal_lahir"}


@dataclass(slots=True)
class Planted:
    """What was planted: records per (source, class), and the SIAK rows added."""

    counts: dict[tuple[Source, str], int] = field(default_factory=dict)
    deaths: list[tuple[str, date]] = field(default_factory=list)  # (nik, date of death)
    # (nik, old card, new card, since, reason): a parent who left the family card
    moves: list[tuple[str, str, str, date, str]] = field(default_factory=list)
    duplicates: dict[str, str] = field(default_factory=dict)  # NIK -> the second NIK

    def count(self, source: Source, mess: str) -> None:
        self.counts[source, mess] = self.counts.get((source, mess), 0) + 1


def name_muhammads(city: City) -> int:
    """Name a share of the men Muhammad first, as registers hold them (before seeding, so
    every product writes the name as SIAK does, until :func:`plant` writes it otherwise)."""
    rng = city.rng("mess:muhammad")
    showcase = {m.nik for f in city.showcase for m in f.members}
    named = 0
    for person in city.people:
        if person.sex == "M" and person.nik not in showcase and rng.random() < MUHAMMAD_SHARE:
            person.name = f"MUHAMMAD {person.name}"
            named += 1
    return named


def plant(city: City, produced: dict[Source, SeedRows], truth: Truth) -> Planted:
    """Dirty the rows ``produced`` holds as real registers are dirty; note it in ``truth``."""
    rng = city.rng("mess:realistic")
    planted = Planted()
    showcase = {m.nik for f in city.showcase for m in f.members}
    people = {p.nik: p for p in city.people}
    for source, table, key, prefix, nik_column, name_column in NIK_RECORDS:
        if source not in produced:
            continue
        rows = produced[source].tables[table]
        for index, row in enumerate(rows.rows):
            record = f"{prefix}{row[rows.columns.index(key)]}"
            niks, mess = truth.records.get((source, record, "person"), ([None], ""))
            nik = niks[0]
            if mess != CLEAN or nik is None or nik in showcase:
                continue
            person = people[nik]
            kind = _draw(rng, source)
            if kind is None:
                continue
            columns = (nik_column, name_column)
            done = _plant_one(rng, kind, source, rows, index, columns, person, planted)
            if done:
                truth.relabel(source, record, "person", kind)
                planted.count(source, kind)
                if kind == "registered_twice":
                    truth.add_nik(source, record, "person", planted.duplicates[nik])
    if Source.PSB in produced:
        _psb_parents(rng, city, produced[Source.PSB].tables["pendaftar"], truth, planted, showcase)
    if Source.ANTRIAN in produced:
        _deceased_walk_ins(rng, produced[Source.ANTRIAN], truth, planted, people, showcase)
    _deaths(rng, city, planted, showcase)
    return planted


def _draw(rng: random.Random, source: Source) -> str | None:
    r = rng.random()
    shares = list(NIK_SHARES)
    if source is Source.PSB:
        shares.append(("birth_date_missing", BIRTH_DATE_MISSING_SHARE))
    for kind, share in shares:
        if r < share:
            return kind
        r -= share
    return None


def _plant_one(
    rng: random.Random,
    kind: str,
    source: Source,
    rows: TableRows,
    index: int,
    columns: tuple[str, str],
    person: Person,
    planted: Planted,
) -> bool:
    """Plant ``kind`` in row ``index``; ``False`` when the row has nothing it applies to."""
    nik_column, name_column = columns
    nik = person.nik
    if kind == "nik_digit_typo":
        at = rng.randrange(16)
        digit = rng.choice([d for d in "0123456789" if d != nik[at]])
        rows.replace(index, nik_column, nik[:at] + digit + nik[at + 1 :])
    elif kind == "nik_transposed":
        swaps = [i for i in range(15) if nik[i] != nik[i + 1]]
        at = rng.choice(swaps)
        rows.replace(index, nik_column, nik[:at] + nik[at + 1] + nik[at] + nik[at + 2 :])
    elif kind == "kk_as_nik":
        rows.replace(index, nik_column, person.kk)
    elif kind == "registered_twice":
        # Registered again elsewhere: same person, a serial of the second registration
        # (9000 and up, counted per region and birth date so a NIK stays 16 digits).
        if nik not in planted.duplicates:
            taken = sum(1 for d in planted.duplicates.values() if d[:12] == nik[:12])
            planted.duplicates[nik] = f"{nik[:12]}{9000 + taken:04d}"
        second = planted.duplicates[nik]
        rows.replace(index, nik_column, second)
    elif kind == "name_variant":
        rows.replace(index, name_column, name_variant(rng, person.name, person.sex))
    elif kind == "phone_format":
        column = _PHONE_COLUMNS.get(source)
        phone = rows.rows[index][rows.columns.index(column)] if column else None
        if column is None or phone is None or not stored_plain(phone):
            return False
        rows.replace(index, column, phone_written(rng, phone))
    elif kind == "birth_date_typo":
        column = _BIRTH_COLUMNS.get(source)
        if column is None:
            return False
        rows.replace(index, column, birth_date_typo(rng, person.birth_date))
    elif kind == "birth_date_missing":
        rows.replace(index, _BIRTH_COLUMNS[source], None)
    return True


def _psb_parents(
    rng: random.Random,
    city: City,
    pendaftar: TableRows,
    truth: Truth,
    planted: Planted,
    showcase: set[str],
) -> None:
    """A parent's NIK in the child's field; the parent's name written otherwise; the
    mother gone to a new family card (the form keeps the old one)."""
    at = {c: pendaftar.columns.index(c) for c in ("no_pendaftaran", "nik", "nama_ortu", "no_kk")}
    cards = {f.kk: f for f in city.families}
    moved: dict[str, str] = {}  # mother's NIK -> her new card
    for index, row in enumerate(pendaftar.rows):
        record = f"pendaftar:{row[at['no_pendaftaran']]}"
        child_niks, child_mess = truth.records.get((Source.PSB, record, "person"), ([None], ""))
        family = cards.get(row[at["no_kk"]])
        if family is None or child_niks[0] in showcase:
            continue
        if child_mess == CLEAN and rng.random() < PARENT_NIK_SHARE:
            pendaftar.replace(index, "nik", family.head.nik)
            truth.relabel(Source.PSB, record, "person", "parent_nik_in_child")
            planted.count(Source.PSB, "parent_nik_in_child")
        parent_niks, parent_mess = truth.records.get((Source.PSB, record, "parent"), ([None], ""))
        parent = next((m for m in family.members if m.nik == parent_niks[0]), None)
        if parent is None or parent_mess != CLEAN:
            continue
        if parent.nik in moved:
            kind = "parent_new_family_card"
        else:
            r = rng.random()
            kind = (
                "parent_name_variant"
                if r < PARENT_NAME_SHARE
                else "parent_new_family_card"
                if r < PARENT_NAME_SHARE + NEW_CARD_SHARE and parent.relationship == "ISTRI"
                else ""
            )
        if kind == "parent_name_variant":
            pendaftar.replace(index, "nama_ortu", name_variant(rng, parent.name, parent.sex))
        elif kind == "parent_new_family_card":
            if parent.nik not in moved:
                moved[parent.nik] = _move(rng, family, parent, planted)
        else:
            continue
        truth.relabel(Source.PSB, record, "parent", kind)
        planted.count(Source.PSB, kind)


def _move(rng: random.Random, family: object, parent: Person, planted: Planted) -> str:
    """A new card for ``parent`` (after the applications were filed under the old one)."""
    issued = REFERENCE_DATE - timedelta(days=rng.randint(20, 150))
    region = parent.kk[:6]
    # Serials from 9000, counted per region and issue date: a card number stays 16 digits
    # however many cards a city of millions plants.
    prefix = f"{region}{issued:%d%m%y}"
    taken = sum(1 for move in planted.moves if move[2].startswith(prefix))
    card = f"{prefix}{9000 + taken:04d}"
    reason = rng.choice(("CERAI", "PINDAH KK", "KAWIN LAGI"))
    planted.moves.append((parent.nik, parent.kk, card, issued, reason))
    return card


def _deceased_walk_ins(
    rng: random.Random,
    antrian: SeedRows,
    truth: Truth,
    planted: Planted,
    people: dict[str, Person],
    showcase: set[str],
) -> None:
    """Walk-ins giving the phone of someone who died before the tickets: a stranger now
    holds the recycled number, and SIAK records the death."""
    tiket = antrian.tables["tiket"]
    key = tiket.columns.index("id_tiket")
    records = [f"tiket:{row[key]}" for row in tiket.rows]
    at = {record: index for index, record in enumerate(records)}
    walkers: dict[str, list[str]] = {}
    for record in records:
        niks, mess = truth.records.get((Source.ANTRIAN, record, "person"), ([None], ""))
        if mess == "walk_in" and niks[0] is not None and niks[0] not in showcase:
            walkers.setdefault(niks[0], []).append(record)
    for nik, tickets in walkers.items():
        if rng.random() >= DECEASED_WALK_IN_SHARE:
            continue
        died = REFERENCE_DATE - timedelta(days=WINDOW_DAYS + rng.randint(30, 700))
        planted.deaths.append((nik, max(died, people[nik].birth_date)))
        for record in tickets:
            # The stranger holding the number now gives no name of the dead.
            tiket.replace(at[record], "nama", None)
            truth.set(Source.ANTRIAN, record, "person", [None], "walk_in_phone_of_deceased")
            planted.count(Source.ANTRIAN, "walk_in_phone_of_deceased")


def _deaths(rng: random.Random, city: City, planted: Planted, showcase: set[str]) -> None:
    """Deaths SIAK records, mostly of the old, with the date."""
    dead = {nik for nik, _ in planted.deaths}
    for person in city.people:
        if person.nik in showcase or person.nik in dead:
            continue
        share = DEATH_SHARE * (6 if person.age() >= 65 else 1)
        if rng.random() < share:
            died = REFERENCE_DATE - timedelta(days=rng.randint(1, 900))
            planted.deaths.append((person.nik, max(died, person.birth_date)))
            planted.count(Source.SIAK, "deceased")
