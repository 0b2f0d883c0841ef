"""What the crosswalk is built from: each source record that names a person's identifiers.

A connector reads its product's records as :class:`Sighting` values: which
identifiers the record holds (as typed), its name for the person, and how the
record says who the person is (its :data:`Holder`). The linker
(:mod:`identity.links`) turns them into links; it needs no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from connectors.base import Source
from identity.kinds import IdentifierKind


@dataclass(frozen=True, slots=True)
class Held:
    """An identifier a record holds, as the record has it (``raw``: separators and all)."""

    kind: IdentifierKind
    raw: str


@dataclass(frozen=True, slots=True)
class CarriesNIK:
    """The record carries the person's NIK (as typed): its identifiers link EXACT."""

    nik: str


@dataclass(frozen=True, slots=True)
class ThroughNIP:
    """The record knows the person by NIP only: linked DERIVED through SIKDa's NIP → NIK."""

    nip: str


@dataclass(frozen=True, slots=True)
class Manager:
    """A person on a vendor's management (pengurus): their NIK as typed, name, role.

    ``answers_for_vendor``: a director or owner, whom the vendor's NPWP and
    contact belong to; a commissioner or treasurer does not.
    """

    record: str
    nik: str
    name: str
    answers_for_vendor: bool


@dataclass(frozen=True, slots=True)
class ThroughManagers:
    """A vendor's identifiers, linked DERIVED to the directors or owners answering for it."""

    managers: tuple[Manager, ...]


@dataclass(frozen=True, slots=True)
class ThroughFamilyCard:
    """The person is the member of family card ``kk`` named ``name`` (DERIVED through SIAK).

    PSB records a parent's phone this way: the applicant's card and the parent's name.
    """

    kk: str
    name: str


@dataclass(frozen=True, slots=True)
class ByPhoneOnly:
    """Nothing but a phone (``None``: not even that): MATCHED to whoever gives that phone."""

    phone: str | None


Holder = CarriesNIK | ThroughNIP | ThroughManagers | ThroughFamilyCard | ByPhoneOnly


@dataclass(frozen=True, slots=True)
class Sighting:
    """One source record: where it is, whom it is about, what it holds.

    ``record`` names the row in its product, ``table:key`` (``pelamar:2436710000123``);
    ``name`` is the person's name as the record has it, when it has one; ``born`` and
    ``sex`` (``"M"``/``"F"``) the person's as the record has them, where the product
    records them: evidence weighed against SIAK's. ``seen_on``: the day the record was
    made, where that matters (a walk-in's ticket: the dead walk in nowhere after
    their death).
    """

    system: Source
    record: str
    holder: Holder
    holds: tuple[Held, ...] = ()
    name: str | None = None
    born: date | None = None
    sex: str | None = None
    seen_on: date | None = None


def held(kind: IdentifierKind, raw: str | None) -> tuple[Held, ...]:
    """``(Held(kind, raw),)``, or nothing when the column is empty: for building ``holds``."""
    return (Held(kind, raw),) if raw is not None and raw.strip() else ()


def sex_of(code: str | None) -> str | None:
    """A register's sex code (``L`` laki-laki, ``P`` perempuan) as ``"M"``/``"F"``."""
    return {"L": "M", "P": "F"}.get((code or "").strip().upper())
