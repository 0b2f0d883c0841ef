"""The linker's bookkeeping: the links and findings met so far, and the parsing they share.

:class:`Bookkeeping` keeps one link per key (the strongest) and one finding per
record and rule; :mod:`identity.links` runs its passes over it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from connectors.base import Source
from identity import evidence
from identity.crosswalk import Link, Register, Registered, twin_groups
from identity.errors import InvalidIdentifier
from identity.findings import Finding, Rule, region_detail
from identity.kinds import METHOD_STRENGTH, IdentifierKind, LinkMethod, LinkStatus, canonical
from identity.nik import NIK
from identity.npwp import NPWP, NPWPForm
from identity.scoring import LIKELIEST, PhoneLevel, on_card
from identity.sightings import Held, Sighting

EXACT = 1.0
NEAR_NIK = "a NIK near the one typed"  # how a suggestion for a mistyped NIK is made


class Bookkeeping:
    def __init__(self, register: Register) -> None:
        self.people = register.people
        self.cards = register.cards
        self.deaths = dict(register.deaths)
        # Each NIK SIAK holds for a person registered more than once, and the others:
        # pairs chain (A with B, B with C: one person), and a death under one is theirs.
        self.twins = twin_groups(register.twins)
        for nik, others in self.twins.items():
            died = [self.deaths[n] for n in (nik, *others) if n in self.deaths]
            if died:
                self.deaths[nik] = min(died)
        # Everyone SIAK told of, by NIK: the people asked for and the members of the cards.
        self.names = {nik: r.name for nik, r in register.people.items()}
        for members in register.cards.values():
            self.names.update(members)
        self.links: dict[tuple[str, str, str, str, str], Link] = {}
        self.findings: dict[tuple[str, str, str, str | None], Finding] = {}
        # Filled by the EXACT and DERIVED passes, used by the later ones.
        self.nip_owners: dict[str, dict[str, tuple[Source, LinkStatus]]] = {}
        # Who gives each phone with a NIK (or through one), and how surely it is theirs.
        self.phone_owners: dict[str, dict[str, PhoneLevel]] = {}
        # Phones given on a record whose person the linker cannot tell (a NIK in doubt
        # that likely meant nobody): someone unknown uses the phone too.
        self.unknown_givers: set[str] = set()
        # Walk-ins (system, record) never served as sure, and why (identity.scoring).
        self.doubts: dict[tuple[str, str], str] = {}
        # Each NIK-carrying record's verdict: the status of its NIK and the NIKs it likely meant.
        self.verdicts: dict[str, tuple[LinkStatus, list[evidence.Suggestion]]] = {}
        # Each NIK's cards in the register's order, built when first asked.
        self._listed_on: dict[str, list[str]] | None = None

    def card_of(self, nik: str) -> str | None:
        """The family card SIAK lists ``nik`` on, where the sync asked for it (for
        someone the sync did not ask about: the last card read that lists them)."""
        registered = self.people.get(nik)
        if registered is not None:
            return registered.family_card
        listed = self._listed().get(nik)
        return listed[-1] if listed else None

    def _listed(self) -> dict[str, list[str]]:
        """Every card each NIK is listed on, in the register's order: one pass over the
        cards, made when first needed and shared by :meth:`card_of` and :meth:`cards_of`."""
        if self._listed_on is None:
            self._listed_on = {}
            for card, members in self.cards.items():
                for n, _ in members:
                    self._listed_on.setdefault(n, []).append(card)
        return self._listed_on

    def family_of(self, givers: Sequence[str], day: date | None) -> dict[str, PhoneLevel]:
        """The members from 16 alive on ``day`` on the cards the ``givers`` of a phone
        are on or left (and their other NIK's, if SIAK holds two), each at the likeliest
        level it is found at (:mod:`identity.scoring`)."""
        found: dict[str, PhoneLevel] = {}
        if day is None:
            return found
        # The givers under every NIK SIAK holds them: themselves, not their family.
        themselves = {n for g in givers for n in (g, *self.twins.get(g, ()))}
        cards = {(n, c) for n in themselves for c in self.cards_of(n)}
        for nik, card in sorted(cards):
            members = self.cards.get(card, ())
            if not members:
                continue
            # A family card lists its head first. Who left a card may have headed it:
            # the minors they left on it are weighed as a head's.
            heads = members[0][0] == nik or card != self.card_of(nik)
            for member, _ in members:
                level = on_card(member, day, heads_card=heads)
                dead = member in self.deaths and self.deaths[member] < day
                if level is None or dead or member in themselves:
                    continue
                known = found.get(member)
                if known is None or LIKELIEST.index(level) < LIKELIEST.index(known):
                    found[member] = level
        return found

    def cards_known(self, nik: str) -> bool:
        """Whether the register holds a family card ``nik`` is on."""
        return any(self.cards.get(card) for card in self.cards_of(nik))

    def _given_by_someone(self, s: Sighting) -> None:
        """The phones ``s`` holds are given by someone the linker cannot tell."""
        for h in s.holds:
            if h.kind is IdentifierKind.PHONE and (value := self._value(s, h)) is not None:
                self.unknown_givers.add(value)

    def cards_of(self, nik: str) -> set[str]:
        """Every card ``nik`` is listed on: theirs, and those they left (SIAK's history)."""
        cards = set(self._listed().get(nik, ()))
        current = self.card_of(nik)
        if current:
            cards.add(current)
        return cards

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
        self,
        s: Sighting,
        nik: str,
        method: LinkMethod,
        confidence: float,
        via: str,
        status: LinkStatus = LinkStatus.CERTAIN,
        said: str | None = None,
    ) -> None:
        """Link every identifier the record holds (those that parse) to ``nik``."""
        for h in s.holds:
            value = self._value(s, h)
            if value is not None:
                self._add(s, h.kind, value, nik, method, confidence, via, status, said)

    def _add(
        self,
        s: Sighting,
        kind: IdentifierKind,
        value: str,
        nik: str,
        method: LinkMethod,
        confidence: float,
        via: str | None,
        status: LinkStatus = LinkStatus.CERTAIN,
        said: str | None = None,
    ) -> None:
        in_register = nik in self.names
        new = Link(
            kind, value, s.system, s.record, nik, method, confidence, via, in_register, status, said
        )
        key = new.key
        old = self.links.get(key)
        if old is None or _stronger(new, old):
            self.links[key] = new
        # Whoever gives a phone with a NIK (or through one) may be the walk-in who gives
        # it, and so may whom a mistyped NIK likely meant; a walk-in's match is itself
        # a guess, and a NIK in doubt is no one's, so neither makes anyone an owner.
        if kind is IdentifierKind.PHONE:
            if method is not LinkMethod.MATCHED and status is LinkStatus.CERTAIN:
                self.phone_owners.setdefault(value, {})[nik] = PhoneLevel.GIVEN
            elif status is LinkStatus.SUGGESTED and via == NEAR_NIK:
                self.phone_owners.setdefault(value, {}).setdefault(nik, PhoneLevel.SUGGESTED)

    def _find(self, s: Sighting, rule: Rule, nik: str | None, detail: str) -> None:
        self._keep(Finding(s.system, rule, s.record, nik, detail))

    def _keep(self, finding: Finding) -> None:
        key = (finding.system.value, finding.rule.value, finding.record, finding.nik)
        self.findings[key] = finding


def _stronger(new: Link, old: Link) -> bool:
    certain_new, certain_old = new.status is LinkStatus.CERTAIN, old.status is LinkStatus.CERTAIN
    return (certain_new, METHOD_STRENGTH[new.method], new.confidence) > (
        certain_old,
        METHOD_STRENGTH[old.method],
        old.confidence,
    )


def valid_nik(raw: str) -> str | None:
    try:
        return NIK.parse(raw).value
    except InvalidIdentifier:
        return None
