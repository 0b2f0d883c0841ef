"""The crosswalk's values: a link, what SIAK answers the linker, what the linker returns.

:mod:`identity.links` computes them; the sync asks SIAK what :func:`wanted` and
:func:`named_niks` list before linking.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from connectors.base import Source
from identity.findings import Finding
from identity.kinds import IdentifierKind, LinkMethod, LinkStatus
from identity.sightings import (
    ByPhoneOnly,
    CarriesNIK,
    Sighting,
    ThroughFamilyCard,
    ThroughManagers,
)


@dataclass(frozen=True, slots=True)
class Link:
    """One identifier tied to one NIK, with its provenance.

    ``record`` is the source row it was found in; ``via`` how a DERIVED or MATCHED
    link was made; ``in_register`` whether SIAK knows the NIK (a citizen of the city);
    ``status`` whether it may be served as the citizen's (CERTAIN) or waits for a
    steward (CONFLICTED, SUGGESTED), and ``evidence`` why.
    """

    kind: IdentifierKind
    value: str
    system: Source
    record: str
    nik: str
    method: LinkMethod
    confidence: float
    via: str | None
    in_register: bool
    status: LinkStatus = LinkStatus.CERTAIN
    evidence: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What identifies a link across syncs; the rest is its content."""
        # StrEnum members are str: no .value lookups, on the sync's hottest path.
        return (self.kind, self.value, self.system, self.record, self.nik)


@dataclass(frozen=True, slots=True)
class Registered:
    """What SIAK holds of a NIK that the linker needs: the name and family card."""

    name: str
    family_card: str


@dataclass(slots=True)
class Register:
    """SIAK's answers.

    ``people`` by NIK (only NIKs SIAK knows: those the records name, and those near
    a doubtful one); ``cards`` by KK: (nik, name) of its members, and of those who
    left it for another card (what was filed under the old card is still theirs);
    ``deaths``: the date of death of each citizen SIAK records as dead; ``twins``:
    SIAK's possible duplicates (see the field).
    """

    people: Mapping[str, Registered] = field(default_factory=dict)
    cards: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    deaths: Mapping[str, date] = field(default_factory=dict)
    # Pairs of NIKs SIAK holds for what looks like one person: a death under one is
    # the death of the other (the linker never merges them otherwise).
    twins: Sequence[tuple[str, str]] = ()


@dataclass(slots=True)
class Crosswalk:
    """What the linker found: every link, and every finding met on the way."""

    links: list[Link]
    findings: list[Finding]


def wanted(sightings: Iterable[Sighting]) -> tuple[set[str], set[str]]:
    """The NIKs and family cards the linker will look up in the register, clean."""
    niks: set[str] = set()
    cards: set[str] = set()
    for s in sightings:
        holder = s.holder
        if isinstance(holder, CarriesNIK):
            niks.add(digits(holder.nik))
        elif isinstance(holder, ThroughManagers):
            niks.update(digits(m.nik) for m in holder.managers)
        elif isinstance(holder, ThroughFamilyCard):
            cards.add(digits(holder.kk))
        for h in s.holds:
            held = digits(h.raw)
            if h.kind is IdentifierKind.NPWP and len(held) == 16 and held[0] != "0":
                niks.add(held)  # an individual's NPWP is their NIK
    return niks, cards


def named_niks(
    sightings: Iterable[Sighting],
) -> list[tuple[str, str | None, date | None, str | None]]:
    """(NIK as digits, the record's name, birth date, sex) of every record carrying a NIK:
    what the evidence check looks at before linking."""
    return [
        (digits(s.holder.nik), s.name, s.born, s.sex)
        for s in sightings
        if isinstance(s.holder, CarriesNIK) and len(digits(s.holder.nik)) == 16
    ]


def phone_holders(sightings: Iterable[Sighting]) -> set[str]:
    """The NIKs (as digits) of records giving a phone some walk-in gives, and of the
    directors or owners a vendor's phone is taken as: the walk-in scoring weighs their
    family cards' members too. Phones compared by their last nine digits, so any written
    form meets (a few more cards read, never one missed)."""
    walk_ins = {
        digits(s.holder.phone)[-9:]
        for s in sightings
        if isinstance(s.holder, ByPhoneOnly) and s.holder.phone
    }
    holders: set[str] = set()
    for s in sightings:
        if not any(
            h.kind is IdentifierKind.PHONE and digits(h.raw)[-9:] in walk_ins for h in s.holds
        ):
            continue
        if isinstance(s.holder, CarriesNIK):
            holders.add(digits(s.holder.nik))
        elif isinstance(s.holder, ThroughManagers):
            holders.update(digits(m.nik) for m in s.holder.managers if m.answers_for_vendor)
    return holders


def digits(raw: str) -> str:
    return "".join(c for c in raw if c.isdigit())


def twin_groups(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """For each NIK in ``pairs`` (SIAK's possible duplicates), the other NIKs the pairs
    chain it to: A with B and B with C are one person under three NIKs."""
    groups: dict[str, set[str]] = {}
    for first, second in pairs:
        group = groups.get(first, {first}) | groups.get(second, {second})
        for nik in group:
            groups[nik] = group
    return {nik: group - {nik} for nik, group in groups.items()}
