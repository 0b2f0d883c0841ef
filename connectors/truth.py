"""What the synthetic city knows and the products do not: whom each record really is about.

The generator knows which citizen every product row was written for, whatever the
row came to say (a mistyped NIK, another name, a phone shared with a parent).
:func:`record_truth` writes that down, per record, with the mess the row carries,
before :mod:`connectors.planting` dirties the rows further; ``citizen-hub seed``
stores it in the ``truth`` schema of SIAK's database, which no connector and no
linker reads. ``citizen-hub identity evaluate`` compares the crosswalk with it.

A record is named as the crosswalk names it (``pelamar:<nomor_peserta>``), with a
role: ``person`` for whom the record is about, ``parent`` for the parent whose
phone a PSB application gives. A record may have several true NIKs (a vendor's
directors and owner, a person registered twice) or none (a number nobody in the
city uses): a link to any of them is right, any other link is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from connectors.base import SeedRows, Source, TableRows
from connectors.lpse.reads import ANSWERING
from connectors.lpse.records import VendorPosition
from identity.names import normalised
from identity.phone import canonical_phone

if TYPE_CHECKING:
    from connectors.city import City, Person

# The records carrying a NIK: (source, table, key column, record prefix, NIK column, name column).
NIK_RECORDS: tuple[tuple[Source, str, str, str, str, str], ...] = (
    (Source.PSB, "pendaftar", "no_pendaftaran", "pendaftar:", "nik", "nama"),
    (Source.CPNS, "pelamar", "nomor_peserta", "pelamar:", "nik", "nama"),
    (Source.SIKDA, "pegawai", "nip", "pegawai:", "nik", "nama"),
    (Source.LPSE, "pengurus", "id_pengurus", "pengurus:", "nik", "nama"),
    (Source.APK, "permohonan", "nomor_permohonan", "permohonan:", "nik_pemohon", "nama_pemohon"),
    (Source.ANTRIAN, "tiket", "id_tiket", "tiket:", "nik", "nama"),
)
_NOT_DIGITS = re.compile(r"\D")
CLEAN = "clean"


@dataclass(frozen=True, slots=True)
class TrueRecord:
    """One record's truth: ``nik`` is whom it is about (``None``: nobody in the city)."""

    system: Source
    record: str
    role: str
    nik: str | None
    mess: str


@dataclass(slots=True)
class Truth:
    """Every record's truth, by (system, record, role), and the SIAK duplicates planted."""

    records: dict[tuple[Source, str, str], tuple[list[str | None], str]] = field(
        default_factory=dict
    )
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (nik, second nik)

    def set(
        self, system: Source, record: str, role: str, niks: list[str | None], mess: str
    ) -> None:
        self.records[system, record, role] = (niks, mess)

    def relabel(self, system: Source, record: str, role: str, mess: str) -> None:
        """Mark a record as carrying ``mess`` (its true NIKs unchanged)."""
        niks, _ = self.records[system, record, role]
        self.records[system, record, role] = (niks, mess)

    def add_nik(self, system: Source, record: str, role: str, nik: str) -> None:
        niks, mess = self.records[system, record, role]
        self.records[system, record, role] = ([*niks, nik], mess)

    def rows(self) -> list[TrueRecord]:
        return [
            TrueRecord(system, record, role, nik, mess)
            for (system, record, role), (niks, mess) in self.records.items()
            for nik in niks
        ]

    def counts(self) -> dict[tuple[Source, str], int]:
        """Records per (system, mess class)."""
        out: dict[tuple[Source, str], int] = {}
        for (system, _, _), (_, mess) in self.records.items():
            out[system, mess] = out.get((system, mess), 0) + 1
        return out


def record_truth(city: City, produced: dict[Source, SeedRows]) -> Truth:
    """The truth of every record the products hold, from the rows as the seeders wrote them."""
    truth = Truth()
    people = {p.nik: p for p in city.people}
    for source, table, key, prefix, nik_column, name_column in NIK_RECORDS:
        if source not in produced:
            continue
        rows = produced[source].tables[table]
        at = _columns(rows, key, nik_column, name_column)
        for row in rows.rows:
            typed = row[at[nik_column]]
            if typed is None or not str(typed).strip():
                continue  # a walk-in: below
            nik = _NOT_DIGITS.sub("", str(typed))
            person = people.get(nik)
            if person is None:
                mess = "out_of_city"
            elif normalised(str(row[at[name_column]])) != normalised(person.name):
                mess = "name_differs_from_siak"
            elif nik != typed:
                mess = "nik_with_separators"
            else:
                mess = CLEAN
            truth.set(source, f"{prefix}{row[at[key]]}", "person", [nik], mess)
    if Source.ANTRIAN in produced:
        _walk_ins(city, produced[Source.ANTRIAN], truth)
    if Source.PSB in produced:
        _parents(city, produced[Source.PSB].tables["pendaftar"], truth)
    if Source.LPSE in produced:
        _vendors(produced[Source.LPSE], truth)
    if Source.SIPBD in produced and Source.SIKDA in produced:
        _holders(produced[Source.SIPBD], produced[Source.SIKDA], truth)
    return truth


def _columns(rows: TableRows, *names: str) -> dict[str, int]:
    return {name: rows.columns.index(name) for name in names}


def _walk_ins(city: City, antrian: SeedRows, truth: Truth) -> None:
    """Walk-ins gave only a phone: the person the seeder drew, unless the phone was swapped."""
    rows = antrian.tables["tiket"]
    at = _columns(rows, "id_tiket", "nik", "no_hp")
    walkers: dict[int, Person] = antrian.exports.get("walk_ins", {})
    heads = {f.head.phone: f.head for f in city.showcase if f.head.phone}
    for index, row in enumerate(rows.rows):
        if row[at["nik"]] is not None and str(row[at["nik"]]).strip():
            continue
        record = f"tiket:{row[at['id_tiket']]}"
        phone = canonical_phone(row[at["no_hp"]])
        walker = walkers.get(index)
        if walker is None:
            truth.set(Source.ANTRIAN, record, "person", [None], "walk_in_unknown_phone")
        elif phone == walker.phone:
            minor = walker.age() < 18
            mess = "minor_parent_phone" if minor else "walk_in"
            truth.set(Source.ANTRIAN, record, "person", [walker.nik], mess)
        elif phone in heads:
            truth.set(Source.ANTRIAN, record, "person", [heads[phone].nik], "walk_in")
        else:
            # A phone two APK applicants left: either may have come; the seeder did not say.
            truth.set(Source.ANTRIAN, record, "person", [None], "walk_in_shared_phone")


def _parents(city: City, pendaftar: TableRows, truth: Truth) -> None:
    """The parent a PSB form names: the member of its family card with that name."""
    cards = {f.kk: f for f in city.families}
    at = _columns(pendaftar, "no_pendaftaran", "nama_ortu", "no_kk", "no_hp_ortu")
    for row in pendaftar.rows:
        if not (row[at["nama_ortu"]] and row[at["no_hp_ortu"]] and row[at["no_kk"]]):
            continue
        family = cards.get(row[at["no_kk"]])
        parent = (
            next((m for m in family.members if m.name == row[at["nama_ortu"]]), None)
            if family
            else None
        )
        record = f"pendaftar:{row[at['no_pendaftaran']]}"
        nik = parent.nik if parent else None
        truth.set(Source.PSB, record, "parent", [nik], CLEAN if parent else "out_of_city")


def _vendors(lpse: SeedRows, truth: Truth) -> None:
    """A vendor's NPWP and phone are its directors', chair's and owner's."""
    managers = lpse.tables["pengurus"]
    at = _columns(managers, "id_penyedia", "nik", "jabatan")
    answering: dict[int, list[str | None]] = {}
    for row in managers.rows:
        if VendorPosition(row[at["jabatan"]]) in ANSWERING:
            nik = _NOT_DIGITS.sub("", str(row[at["nik"]]))
            answering.setdefault(row[at["id_penyedia"]], []).append(nik)
    vendors = lpse.tables["penyedia"]
    key = vendors.columns.index("id_penyedia")
    for row in vendors.rows:
        niks = answering.get(row[key]) or [None]
        truth.set(Source.LPSE, f"penyedia:{row[key]}", "person", niks, CLEAN)


def _holders(sipbd: SeedRows, sikda: SeedRows, truth: Truth) -> None:
    """An asset's holder is the civil servant SIKDa gives its NIP to."""
    staff = sikda.tables["pegawai"]
    nip_at, nik_at = staff.columns.index("nip"), staff.columns.index("nik")
    by_nip = {
        _NOT_DIGITS.sub("", str(r[nip_at])): _NOT_DIGITS.sub("", str(r[nik_at])) for r in staff.rows
    }
    assets = sipbd.tables["barang"]
    at = _columns(assets, "id_barang", "nip_pemegang")
    for row in assets.rows:
        nip = row[at["nip_pemegang"]]
        if not nip:
            continue
        nik = by_nip.get(_NOT_DIGITS.sub("", str(nip)))
        mess = CLEAN if nik else "holder_unknown_to_sikda"
        truth.set(Source.SIPBD, f"barang:{row[at['id_barang']]}", "person", [nik], mess)
