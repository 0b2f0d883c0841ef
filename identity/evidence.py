"""Whether a record's NIK is the person the record is about, and whom it likely meant.

A NIK is typed by hand: one digit goes wrong, two are swapped, the family card's
number goes in the NIK field, a parent's NIK in the child's. The result is often a
valid NIK, sometimes another citizen's. The record's name is the evidence: SIAK
says whose the NIK is, and when that is clearly not the person the record names,
the link is CONFLICTED rather than certain.

Where the NIK is doubtful (unknown to SIAK, or its holder's name is not the
record's) the likely intended NIKs are sought, each needing the record's name to
be its holder's however written: a NIK one substitution or one transposition away,
a family card of that number, a member of the NIK holder's own card. Each becomes
a SUGGESTED link with its evidence, for a steward to accept or reject.

The record's own birth date and sex, where the product records them, are weighed
too, against what SIAK gave the NIK's holder as the NIK itself holds it (digits
7-12: the birth date, 40 added to the day for women): a different sex, or a birth
year more than a typo away (a parent's NIK in a child's field), tells against the
NIK as a name does. A day or month off, or a year off by one, is a typo.

Pure, like :mod:`identity.links`: the sync first asks :func:`doubtful` which NIKs
need looking into, fetches from SIAK what :func:`near_misses` lists, then links.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from identity.names import SAME_NAME, at_least, clearly_different, name_similarity
from identity.scoring import MINORS, PhoneLevel

DIGITS = "0123456789"
# Confidence of a link the record does not make but likely means, before review.
SUGGESTED = 0.7
# Confidence left to a NIK link whose evidence disagrees: shown as a candidate, never sure.
CONFLICTED = 0.3


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A NIK the record likely meant, and why (no personal data in ``evidence``)."""

    nik: str
    evidence: str


# Evidence that tells how people are related (whose card a child is on, that a NIK typed
# is a relative's): family composition, which siak:family guards. Only a caller with it
# is told such a link in doubt (:func:`tells_family`).
KK_NUMBER = "the NIK typed is a family card's number; a member has the name"
FAMILY_MEMBER = "the NIK typed is a family member's; this member has the name"
# A walk-in's candidate found only as a member of a phone giver's card.
THROUGH_A_CARD = tuple(level.value for level in (*MINORS, PhoneLevel.ADULT))
_FAMILY_RULES = (KK_NUMBER, FAMILY_MEMBER, *THROUGH_A_CARD)


def tells_family(said: str | None) -> bool:
    """Whether evidence was given by a rule that looks through a family card: the link
    tells who is on whose card, however its evidence were worded."""
    return said is not None and any(rule in said for rule in _FAMILY_RULES)


def near_misses(nik: str) -> Iterator[tuple[str, str]]:
    """Every 16-digit string one substitution or one adjacent transposition from ``nik``,
    with how it differs."""
    for at in range(len(nik)):
        for digit in DIGITS:
            if digit != nik[at]:
                yield nik[:at] + digit + nik[at + 1 :], f"digit {at + 1} differs"
    for at in range(len(nik) - 1):
        if nik[at] != nik[at + 1]:
            swapped = nik[:at] + nik[at + 1] + nik[at] + nik[at + 2 :]
            yield swapped, f"digits {at + 1} and {at + 2} swapped"


def plausible(nik: str, regencies: frozenset[str] | set[str]) -> bool:
    """Whether a near miss could be a registered NIK at all: of a regency the register
    holds, with a day (40 added for women) and a month that exist. The rest are never
    asked of SIAK."""
    if nik[:4] not in regencies:
        return False
    day, month = int(nik[6:8]), int(nik[8:10])
    return (1 <= day <= 31 or 41 <= day <= 71) and 1 <= month <= 12 and nik[12:] != "0000"


def same_person_name(record_name: str | None, registered_name: str) -> bool:
    """Whether the record's name is the registered holder's, however written."""
    return bool(record_name) and at_least(record_name or "", registered_name, SAME_NAME)


def doubtful(
    named: Iterable[tuple[str, str | None, date | None, str | None]], names: Mapping[str, str]
) -> tuple[set[str], set[str]]:
    """Of the (NIK, record's name, birth date, sex) of records, the NIKs SIAK does not know
    and those whose holder is not the person named or born as the record says (a record
    without them is taken at its NIK): the NIKs to look for the intended one near.
    Returns (unknown, disagreeing)."""
    unknown: set[str] = set()
    disagreeing: set[str] = set()
    for nik, name, born, sex in named:
        held_by = names.get(nik)
        if held_by is None:
            unknown.add(nik)
        elif (name and not same_person_name(name, held_by)) or birth_evidence(born, sex, nik):
            disagreeing.add(nik)
    return unknown, disagreeing


def birth_evidence(born: date | None, sex: str | None, nik: str) -> str | None:
    """The evidence against ``nik`` being the person of a record giving ``born`` and ``sex``,
    from what the NIK holds of its holder (SIAK's birth date and sex); ``None`` where the
    record agrees, says nothing, or is one typo off."""
    day, year = int(nik[6:8]), int(nik[10:12])
    female = day > 40
    if sex is not None and (sex == "F") != female:
        return "the sex on the record is not SIAK's"
    if born is None:
        return None
    years = abs(born.year % 100 - year)
    years = min(years, 100 - years)
    if years > 1:
        return f"birth year {years} years from SIAK's"
    return None


def suggestions(
    typed: str,
    name: str | None,
    *,
    names: Mapping[str, str],
    cards: Mapping[str, Sequence[tuple[str, str]]],
    holder_card: str | None,
) -> list[Suggestion]:
    """The NIKs the record likely meant, each held by someone with the record's name.

    ``names``: SIAK's name of each NIK it was asked about (the near misses included);
    ``cards``: the members of the family cards asked about; ``holder_card``: the card
    of the NIK's holder, when SIAK knows the NIK.
    """
    if not name:
        return []
    found: dict[str, str] = {}
    for nik, how in near_misses(typed):
        registered = names.get(nik)
        if registered is not None and same_person_name(name, registered):
            found.setdefault(nik, f"the NIK typed is one typo from this one ({how}); names agree")
    for nik, member in cards.get(typed, ()):
        if same_person_name(name, member):
            found.setdefault(nik, KK_NUMBER)
    if holder_card is not None:
        for nik, member in cards.get(holder_card, ()):
            if nik != typed and same_person_name(name, member):
                found.setdefault(nik, FAMILY_MEMBER)
    return [Suggestion(nik, why) for nik, why in sorted(found.items())]


def name_evidence(name: str | None, registered: str) -> tuple[bool, str | None]:
    """(clearly another person's name, the evidence) for a record's name against SIAK's;
    no evidence where the name does not tell against the NIK."""
    if not name or not clearly_different(name, registered):
        return False, None
    return True, f"name similarity {name_similarity(name, registered):.2f} to SIAK's"
