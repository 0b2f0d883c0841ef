"""Data-quality findings: identifiers that contradict each other, records that link to no one.

Each :class:`Finding` names its source, record and :class:`Rule`; its ``detail``
says what disagrees without quoting personal data (no NIK, name, phone or birth
date), so the report can be shown to the people who fix the records.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from connectors.base import Source
from identity.nik import NIK, InvalidNIK
from identity.nip import NIP
from identity.regions import BANTEN_REGENCIES


class Rule(enum.StrEnum):
    """What a finding is about; the value is what the report prints."""

    NIK_BIRTH_DATE = "nik_birth_date"  # SIAK's birth date is not the one its NIK encodes
    NIK_SEX = "nik_sex"  # SIAK's sex is not the one its NIK encodes
    NIP_BIRTH_DATE = "nip_birth_date"  # a NIP's birth date is not its NIK's
    NIP_SEX = "nip_sex"  # a NIP's sex is not its NIK's
    NAME_MISMATCH = "name_mismatch"  # a record's name for a NIK is clearly not SIAK's
    BIRTH_MISMATCH = "birth_mismatch"  # a record's birth date or sex is clearly not its NIK's
    NOT_IN_REGISTER = "nik_not_in_register"  # links to a NIK SIAK does not know
    INVALID_IDENTIFIER = "invalid_identifier"  # an identifier that breaks its rules
    NIP_UNKNOWN = "nip_unknown_to_sikda"  # a NIP no civil servant in SIKDa has
    PHONE_UNMATCHED = "phone_unmatched"  # a walk-in's phone no record with a NIK gives
    PHONE_SHARED = "phone_shared"  # a walk-in's phone several people give: several candidates
    PARENT_NOT_ON_CARD = "parent_not_on_card"  # a parent's name not on the family card
    NOTHING_TO_LINK = "nothing_to_link"  # a record with neither NIK nor phone
    NIK_MISTYPED = "nik_likely_mistyped"  # the record likely meant another NIK: suggested
    POSSIBLE_DUPLICATE = "possible_duplicate"  # two NIKs in SIAK that look like one person
    PHONE_OF_DECEASED = "phone_of_deceased"  # a walk-in's phone whose owner SIAK records dead
    # A walk-in's phone one of whose givers SIAK records dead: not served as sure.
    PHONE_MAY_BE_RECYCLED = "phone_may_be_recycled"


# The rules under which a record links to no one (the rest are contradictions).
UNLINKED = frozenset(
    {
        Rule.NOT_IN_REGISTER,
        Rule.INVALID_IDENTIFIER,
        Rule.NIP_UNKNOWN,
        Rule.PHONE_UNMATCHED,
        Rule.PARENT_NOT_ON_CARD,
        Rule.NOTHING_TO_LINK,
        Rule.PHONE_OF_DECEASED,
    }
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One data-quality finding about one record (``nik``: whom it concerns, if known)."""

    system: Source
    rule: Rule
    record: str
    nik: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """A SIAK register row as the NIK check needs it: the NIK, birth date and sex recorded."""

    nik: str
    birth_date: date
    sex: str  # "M" or "F"


def register_findings(entries: list[RegisterEntry]) -> list[Finding]:
    """Where SIAK's own birth date or sex is not what the entry's NIK encodes."""
    out: list[Finding] = []
    for entry in entries:
        record = "penduduk:" + entry.nik
        try:
            nik = NIK.parse(entry.nik)
        except InvalidNIK as exc:
            out.append(
                Finding(Source.SIAK, Rule.INVALID_IDENTIFIER, record, None, f"NIK: {exc.rule}")
            )
            continue
        if not nik.encodes_birth_date(entry.birth_date):
            out.append(
                Finding(
                    Source.SIAK,
                    Rule.NIK_BIRTH_DATE,
                    record,
                    entry.nik,
                    "SIAK's birth date is not the one its NIK encodes"
                    f" ({_days_apart(nik, entry.birth_date)})",
                )
            )
        if nik.sex != entry.sex:
            out.append(
                Finding(
                    Source.SIAK,
                    Rule.NIK_SEX,
                    record,
                    entry.nik,
                    f"the NIK encodes {_SEX[nik.sex]}, SIAK records {_SEX.get(entry.sex, '?')}",
                )
            )
    return out


def nip_findings(system: Source, record: str, nip: NIP, nik: NIK) -> list[Finding]:
    """Where a NIP's birth date or sex is not what the holder's NIK encodes."""
    out: list[Finding] = []
    if not nik.encodes_birth_date(nip.birth_date):
        out.append(
            Finding(
                system,
                Rule.NIP_BIRTH_DATE,
                record,
                nik.value,
                f"the NIP's birth date is not the NIK's ({_days_apart(nik, nip.birth_date)})",
            )
        )
    if nip.sex != nik.sex:
        out.append(
            Finding(
                system,
                Rule.NIP_SEX,
                record,
                nik.value,
                f"the NIP says {_SEX[nip.sex]}, the NIK encodes {_SEX[nik.sex]}",
            )
        )
    return out


def region_detail(nik: NIK) -> str:
    """Where a NIK was registered, for a finding: ``3603 Kabupaten Tangerang``."""
    name = BANTEN_REGENCIES.get(nik.regency[2:]) if nik.regency.startswith("36") else None
    return f"{nik.regency} {name}" if name else f"region {nik.regency}"


_SEX = {"M": "a man", "F": "a woman"}


def _days_apart(nik: NIK, other: date) -> str:
    """How far the NIK's encoded birth date is from ``other``, in the century nearest it."""
    day, month, year2 = int(nik.value[6:8]), int(nik.value[8:10]), int(nik.value[10:12])
    day = day - 40 if day > 40 else day
    candidates: list[date] = []
    here = other.year // 100 * 100
    for century in (here - 100, here, here + 100):
        try:
            candidates.append(date(century + year2, month, day))
        except ValueError:
            continue
    if not candidates:
        return "the date differs"
    days = min(abs((c - other).days) for c in candidates)
    return f"{days} days apart"
