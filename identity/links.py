"""The crosswalk, computed: every identifier the sources hold, linked to a NIK with provenance.

Pure: :func:`link` takes the sources' records (:class:`~identity.sightings.Sighting`)
and what SIAK says of the NIKs and family cards they name (:class:`Register`), and
returns links and findings. No database; the hub reads and writes (``hub.identity``).

Links are made in three passes, each using what the passes before it found:

1. EXACT: records carrying a NIK link what they hold to it (confidence 1).
2. DERIVED: records knowing the person through another system: a NIP through
   SIKDa's NIP → NIK, a vendor's NPWP and phone through its directors, a parent's
   phone through the family card's member of that name.
3. MATCHED: records with only a phone (walk-ins), to everyone who gave that phone
   elsewhere. One such person: confidence 0.8; several: every one of them, each
   with less, never silently one of two; a name on the ticket raises or lowers it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from connectors.base import Source
from identity.errors import InvalidIdentifier
from identity.findings import Finding, Rule, nip_findings, region_detail
from identity.kinds import METHOD_STRENGTH, IdentifierKind, LinkMethod, canonical
from identity.names import (
    CLEARLY_DIFFERENT,
    SAME_NAME,
    clearly_different,
    name_similarity,
    normalised,
)
from identity.nik import NIK
from identity.nip import NIP
from identity.npwp import NPWP, NPWPForm
from identity.sightings import (
    ByPhoneOnly,
    CarriesNIK,
    Held,
    Sighting,
    ThroughFamilyCard,
    ThroughManagers,
    ThroughNIP,
)

# Confidence of each way of linking.
EXACT = 1.0
THROUGH_NIP = 0.95  # SIKDa's NIP → NIK is exact; the NIP was typed on another form
VENDOR_LEAD = 0.9  # the first director or owner answers for the vendor's NPWP
VENDOR_OTHER = 0.8  # another director
VENDOR_PHONE = 0.7  # the vendor's phone, taken as its lead's
THROUGH_CARD = 0.9  # the card's member named like the parent on the form
PHONE_ONE = 0.8  # a walk-in's phone that one person gives elsewhere
NAME_BONUS = 0.15  # the walk-in's name is that person's
NAME_PENALTY = 0.5  # the walk-in's name is clearly someone else's: confidence halved
CEILING = 0.95  # a match by rule is never as sure as a record carrying the NIK


@dataclass(frozen=True, slots=True)
class Link:
    """One identifier tied to one NIK, with its provenance.

    ``record`` is the source row it was found in; ``via`` how a DERIVED or MATCHED
    link was made; ``in_register`` whether SIAK knows the NIK (a citizen of the city).
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
    """SIAK's answers: ``people`` by NIK (only NIKs SIAK knows), ``cards`` by KK: (nik, name)."""

    people: Mapping[str, Registered] = field(default_factory=dict)
    cards: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)


@dataclass(slots=True)
class Crosswalk:
    """What :func:`link` found: every link, and every finding met on the way."""

    links: list[Link]
    findings: list[Finding]


def wanted(sightings: Iterable[Sighting]) -> tuple[set[str], set[str]]:
    """The NIKs and family cards :func:`link` will look up in the register, clean."""
    niks: set[str] = set()
    cards: set[str] = set()
    for s in sightings:
        holder = s.holder
        if isinstance(holder, CarriesNIK):
            niks.add(_digits(holder.nik))
        elif isinstance(holder, ThroughManagers):
            niks.update(_digits(m.nik) for m in holder.managers)
        elif isinstance(holder, ThroughFamilyCard):
            cards.add(_digits(holder.kk))
        for h in s.holds:
            digits = _digits(h.raw)
            if h.kind is IdentifierKind.NPWP and len(digits) == 16 and digits[0] != "0":
                niks.add(digits)  # an individual's NPWP is their NIK
    return niks, cards


def link(sightings: Sequence[Sighting], register: Register) -> Crosswalk:
    """Every link and finding the sightings give, EXACT first, then DERIVED, then MATCHED."""
    linker = _Linker(register)
    for s in sightings:
        if isinstance(s.holder, CarriesNIK):
            linker.exact(s, s.holder)
    for s in sightings:
        holder = s.holder
        if isinstance(holder, ThroughNIP):
            linker.through_nip(s, holder)
        elif isinstance(holder, ThroughManagers):
            linker.through_managers(s, holder)
        elif isinstance(holder, ThroughFamilyCard):
            linker.through_card(s, holder)
    for s in sightings:
        if isinstance(s.holder, ByPhoneOnly):
            linker.by_phone(s, s.holder)
    return Crosswalk(list(linker.links.values()), list(linker.findings.values()))


def match_confidence(candidates: int, name_similarity: float | None) -> float:
    """The confidence of a walk-in's phone match to one of ``candidates`` people.

    ``name_similarity`` compares the name on the ticket with that person's, when
    the ticket has one.
    """
    confidence = PHONE_ONE / candidates
    if name_similarity is not None:
        if name_similarity >= SAME_NAME:
            confidence += NAME_BONUS
        elif name_similarity < CLEARLY_DIFFERENT:
            confidence *= NAME_PENALTY
    return round(min(confidence, CEILING), 3)


class _Linker:
    def __init__(self, register: Register) -> None:
        self.people = register.people
        self.cards = register.cards
        # Everyone SIAK told of, by NIK: the people asked for and the members of the cards.
        self.names = {nik: r.name for nik, r in register.people.items()}
        for members in register.cards.values():
            self.names.update(members)
        self.links: dict[tuple[str, str, str, str, str], Link] = {}
        self.findings: dict[tuple[str, str, str, str | None], Finding] = {}
        # Filled by the EXACT and DERIVED passes, used by the later ones.
        self.nip_owners: dict[str, dict[str, Source]] = {}
        self.phone_owners: dict[str, set[str]] = {}

    def exact(self, s: Sighting, holder: CarriesNIK) -> None:
        """Link what a record carrying a NIK holds; check its name and NIPs against the NIK."""
        nik = self._nik(s, holder.nik)
        if nik is None:
            return
        registered = self._check_registered(s, nik.value)
        if registered is not None and s.name and clearly_different(s.name, registered.name):
            similarity = name_similarity(s.name, registered.name)
            self._find(
                s, Rule.NAME_MISMATCH, nik.value, f"name similarity {similarity:.2f} to SIAK's"
            )
        for h in s.holds:
            value = self._value(s, h)
            if value is None:
                continue
            if self._npwp_of_individual(s, h, value):
                continue
            self._add(s, h.kind, value, nik.value, LinkMethod.EXACT, EXACT, None)
            if h.kind is IdentifierKind.NIP:
                self.nip_owners.setdefault(value, {})[nik.value] = s.system
                for finding in nip_findings(s.system, s.record, NIP(value), nik):
                    self._keep(finding)

    def through_nip(self, s: Sighting, holder: ThroughNIP) -> None:
        """Link a record knowing its person by NIP to whoever SIKDa says holds the NIP."""
        nip = self._value(s, Held(IdentifierKind.NIP, holder.nip))
        if nip is None:
            return
        owners = self.nip_owners.get(nip)
        if not owners:
            self._find(s, Rule.NIP_UNKNOWN, None, "no civil servant in SIKDa has this NIP")
            return
        for nik, where in sorted(owners.items()):
            self._add_held(s, nik, LinkMethod.DERIVED, THROUGH_NIP, f"{where.name} NIP")

    def through_managers(self, s: Sighting, holder: ThroughManagers) -> None:
        """Link a vendor's NPWP to its directors or owner, its phone to the first of them."""
        answering = [m for m in holder.managers if m.answers_for_vendor]
        niks = [n for n in (_valid_nik(m.nik) for m in answering) if n is not None]
        for h in s.holds:
            value = self._value(s, h)
            if value is None or self._npwp_of_individual(s, h, value):
                continue
            if not niks:
                self._find(s, Rule.NOTHING_TO_LINK, None, "no director or owner with a valid NIK")
                continue
            if h.kind is IdentifierKind.PHONE:
                self._add(s, h.kind, value, niks[0], LinkMethod.DERIVED, VENDOR_PHONE, "LPSE lead")
                continue
            for index, nik in enumerate(niks):
                confidence = VENDOR_LEAD if index == 0 else VENDOR_OTHER
                via = "LPSE director or owner"
                self._add(s, h.kind, value, nik, LinkMethod.DERIVED, confidence, via)

    def through_card(self, s: Sighting, holder: ThroughFamilyCard) -> None:
        """Link a parent's phone to the member of the family card with the parent's name."""
        card = self._value(s, Held(IdentifierKind.KK, holder.kk))
        if card is None:
            return
        members = self.cards.get(card)
        if not members:
            self._find(s, Rule.PARENT_NOT_ON_CARD, None, "the family card is not in SIAK")
            return
        # The same name, however written, first: the similarity only when nobody has it.
        wanted_name = normalised(holder.name)
        named = [nik for nik, name in members if normalised(name) == wanted_name]
        if not named:
            named = [
                nik for nik, name in members if name_similarity(name, holder.name) >= SAME_NAME
            ]
        if not named:
            self._find(
                s, Rule.PARENT_NOT_ON_CARD, None, "no member of the card has the parent's name"
            )
            return
        confidence = round(THROUGH_CARD / len(named), 3)
        for nik in named:
            self._add_held(s, nik, LinkMethod.DERIVED, confidence, "SIAK family card")

    def by_phone(self, s: Sighting, holder: ByPhoneOnly) -> None:
        """Match a walk-in to everyone who gave its phone with a NIK (or through one)."""
        if holder.phone is None:
            self._find(s, Rule.NOTHING_TO_LINK, None, "neither a NIK nor a phone")
            return
        phone = self._value(s, Held(IdentifierKind.PHONE, holder.phone))
        if phone is None:
            return
        owners = sorted(self.phone_owners.get(phone, ()))
        if not owners:
            self._find(s, Rule.PHONE_UNMATCHED, None, "no record with a NIK gives this phone")
            return
        if len(owners) > 1:
            self._find(
                s, Rule.PHONE_SHARED, None, f"{len(owners)} people give this phone; all linked"
            )
        for nik in owners:
            known = self.names.get(nik)
            similarity = name_similarity(s.name, known) if s.name and known else None
            confidence = match_confidence(len(owners), similarity)
            via = "phone and name" if similarity is not None else "phone"
            self._add_held(s, nik, LinkMethod.MATCHED, confidence, via)

    def _npwp_of_individual(self, s: Sighting, h: Held, value: str) -> bool:
        """An individual's NPWP is their NIK: linked EXACT to it, whatever the record says."""
        if h.kind is not IdentifierKind.NPWP or not value or value[0] == "0":
            return False
        npwp = NPWP(value, NPWPForm.NIK)
        assert npwp.nik is not None
        self._check_registered(s, npwp.nik.value)
        self._add(s, h.kind, value, npwp.nik.value, LinkMethod.EXACT, EXACT, None)
        return True

    def _check_registered(self, s: Sighting, nik: str) -> Registered | None:
        registered = self.people.get(nik)
        if registered is None:
            detail = f"NIK of {region_detail(NIK(nik))}, not in SIAK"
            self._find(s, Rule.NOT_IN_REGISTER, nik, detail)
        return registered

    def _nik(self, s: Sighting, raw: str) -> NIK | None:
        try:
            return NIK.parse(raw)
        except InvalidIdentifier as exc:
            self._find(s, Rule.INVALID_IDENTIFIER, None, f"NIK: {exc.rule}")
            return None

    def _value(self, s: Sighting, h: Held) -> str | None:
        try:
            return canonical(h.kind, h.raw)
        except InvalidIdentifier as exc:
            self._find(s, Rule.INVALID_IDENTIFIER, None, f"{h.kind.value}: {exc.rule}")
            return None

    def _add_held(
        self, s: Sighting, nik: str, method: LinkMethod, confidence: float, via: str
    ) -> None:
        """Link every identifier the record holds (those that parse) to ``nik``."""
        for h in s.holds:
            value = self._value(s, h)
            if value is not None:
                self._add(s, h.kind, value, nik, method, confidence, via)

    def _add(
        self,
        s: Sighting,
        kind: IdentifierKind,
        value: str,
        nik: str,
        method: LinkMethod,
        confidence: float,
        via: str | None,
    ) -> None:
        new = Link(kind, value, s.system, s.record, nik, method, confidence, via, nik in self.names)
        key = new.key
        old = self.links.get(key)
        if old is None or _stronger(new, old):
            self.links[key] = new
        # Whoever gives a phone with a NIK (or through one) may be the walk-in who gives
        # it; a MATCHED link is itself such a guess, so it makes no one an owner.
        if kind is IdentifierKind.PHONE and method is not LinkMethod.MATCHED:
            self.phone_owners.setdefault(value, set()).add(nik)

    def _find(self, s: Sighting, rule: Rule, nik: str | None, detail: str) -> None:
        self._keep(Finding(s.system, rule, s.record, nik, detail))

    def _keep(self, finding: Finding) -> None:
        key = (finding.system.value, finding.rule.value, finding.record, finding.nik)
        self.findings[key] = finding


def _stronger(new: Link, old: Link) -> bool:
    return (METHOD_STRENGTH[new.method], new.confidence) > (
        METHOD_STRENGTH[old.method],
        old.confidence,
    )


def _digits(raw: str) -> str:
    return "".join(c for c in raw if c.isdigit())


def _valid_nik(raw: str) -> str | None:
    try:
        return NIK.parse(raw).value
    except InvalidIdentifier:
        return None
