"""The crosswalk, computed: every identifier the sources hold, linked to a NIK with provenance.

Pure: :func:`link` takes the sources' records (:class:`~identity.sightings.Sighting`)
and what SIAK says of the NIKs and family cards they name (:class:`Register`), and
returns links and findings. No database; the hub reads and writes (``hub.identity``).

Links are made in three passes, each using what the passes before it found:

1. EXACT: records carrying a NIK link what they hold to it (confidence 1).
2. DERIVED: records knowing the person through another system: a NIP through
   SIKDa's NIP → NIK, a vendor's NPWP and phone through its directors, a parent's
   phone through the family card's member of that name.
3. MATCHED: records with only a phone (walk-ins), scored by :mod:`identity.scoring`
   against everyone who gave that phone elsewhere, whom a mistyped NIK giving it
   likely meant, and the minors on a giver's family card; nobody dead by the
   ticket's day. A candidate whose probability reaches :data:`SERVED` is linked
   CERTAIN, the others SUGGESTED, each with the weights that made it.

A record's NIK is weighed against its name, birth date and sex (:mod:`identity.evidence`):
where SIAK says the NIK is clearly someone else's, its links are CONFLICTED, not certain;
the NIKs the record likely meant become SUGGESTED links, each with its evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

from identity import evidence
from identity.crosswalk import (
    Crosswalk,
    Link,
    Register,
    Registered,
    digits,
    named_niks,
    wanted,
)
from identity.findings import Rule, nip_findings
from identity.kinds import IdentifierKind, LinkMethod, LinkStatus
from identity.linking import EXACT, NEAR_NIK, Bookkeeping, valid_nik
from identity.names import SAME_NAME, name_similarity, normalised
from identity.nip import NIP
from identity.scoring import (
    NO_DAY,
    NO_FAMILY,
    OTHER_NAME,
    RECYCLED,
    UNKNOWN_GIVER,
    Comparison,
    Model,
    NameLevel,
    PhoneLevel,
    estimate,
    name_level,
)
from identity.sightings import (
    ByPhoneOnly,
    CarriesNIK,
    Held,
    Sighting,
    ThroughFamilyCard,
    ThroughManagers,
    ThroughNIP,
)

__all__ = [
    "CEILING",
    "Crosswalk",
    "Link",
    "Register",
    "Registered",
    "link",
    "named_niks",
    "wanted",
]

# Confidence of each way of linking (EXACT, a record carrying the NIK, is 1: identity.linking).
THROUGH_NIP = 0.95  # SIKDa's NIP → NIK is exact; the NIP was typed on another form
VENDOR_LEAD = 0.9  # the first director or owner answers for the vendor's NPWP
VENDOR_OTHER = 0.8  # another director
VENDOR_PHONE = 0.7  # the vendor's phone, taken as its lead's
THROUGH_CARD = 0.9  # the card's member named like the parent on the form
CEILING = 0.95  # a match by rule is never as sure as a record carrying the NIK
# A walk-in's candidate at or above this probability is served as the citizen's: the
# precision asked of served walk-in links. Chosen from `identity evaluate` at 1.9 M
# citizens: below it, parents whose 16-year-old may have walked in on their phone
# (0.97) were served and wrong one time in thirty (docs/operations.md).
SERVED = 0.995
_GIVING = (PhoneLevel.GIVEN, PhoneLevel.SUGGESTED)
UNLIKELY = 0.01  # a walk-in's candidate below this is not worth a steward's look


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
    walk_ins = [
        (s, found)
        for s in sightings
        if isinstance(s.holder, ByPhoneOnly)
        for found in [linker.by_phone(s, s.holder)]
        if found
    ]
    model = estimate([c for _, c in found] for _, found in walk_ins)
    for s, found in walk_ins:
        linker.score(s, found, model)
    return Crosswalk(list(linker.links.values()), list(linker.findings.values()))


class _Linker(Bookkeeping):
    """The three passes, over the bookkeeping of :class:`Bookkeeping`."""

    def exact(self, s: Sighting, holder: CarriesNIK) -> None:
        """Link what a record carrying a NIK holds, weighed against SIAK: the name the
        record gives, and the NIPs it holds."""
        nik = self._nik(s, holder.nik)
        if nik is None:
            self._suggest_for_invalid(s, digits(holder.nik))
            return
        status, said, suggested = self._weigh(s, nik.value)
        if status is not LinkStatus.CERTAIN and not suggested:
            self._given_by_someone(s)
        confidence = EXACT if status is LinkStatus.CERTAIN else evidence.CONFLICTED
        # A director's or owner's record holds nothing but the NIK: that is its link.
        holds = s.holds or (Held(IdentifierKind.NIK, nik.value),)
        for h in holds:
            value = self._value(s, h)
            if value is None:
                continue
            if self._npwp_of_individual(s, h, value):
                continue
            self._add(s, h.kind, value, nik.value, LinkMethod.EXACT, confidence, None, status, said)
            for suggestion in suggested:
                self._suggested(s, h.kind, value, suggestion, len(suggested))
            if h.kind is IdentifierKind.NIP:
                self.nip_owners.setdefault(value, {})[nik.value] = (s.system, status)
                for finding in nip_findings(s.system, s.record, NIP(value), nik):
                    self._keep(finding)

    def _suggest_for_invalid(self, s: Sighting, typed: str) -> None:
        """A NIK that breaks the rules, one typo from a registered NIK with the record's
        name: what the record holds is suggested as that citizen's."""
        found = (
            evidence.suggestions(
                typed, s.name, names=self.names, cards=self.cards, holder_card=None
            )
            if len(typed) == 16
            else []
        )
        if not found:
            self._given_by_someone(s)
            return
        self.verdicts[s.record] = (LinkStatus.CONFLICTED, found)
        self._find(
            s, Rule.NIK_MISTYPED, None, f"{len(found)} NIK(s) likely meant: {found[0].evidence}"
        )
        for suggestion in found:
            # A director's record holds nothing but the NIK: the one meant is its link.
            holds = s.holds or (Held(IdentifierKind.NIK, suggestion.nik),)
            for h in holds:
                value = self._value(s, h)
                if value is not None:
                    self._suggested(s, h.kind, value, suggestion, len(found))

    def _suggested(
        self,
        s: Sighting,
        kind: IdentifierKind,
        value: str,
        suggestion: evidence.Suggestion,
        among: int,
    ) -> None:
        """Link what the record holds to a NIK it likely meant, one of ``among``: the
        confidence of a suggestion is shared between them."""
        share = round(evidence.SUGGESTED / among, 3)
        self._add(
            s,
            kind,
            value,
            suggestion.nik,
            LinkMethod.MATCHED,
            share,
            NEAR_NIK,
            LinkStatus.SUGGESTED,
            suggestion.evidence,
        )

    def _weigh(
        self, s: Sighting, nik: str
    ) -> tuple[LinkStatus, str | None, list[evidence.Suggestion]]:
        """The status of a record's NIK, the evidence against it, and the NIKs it likely
        meant; the findings that go with them."""
        registered = self._check_registered(s, nik)
        clash, said, born_said = False, None, None
        if registered is not None:
            clash, said = evidence.name_evidence(s.name, registered.name)
            if clash and said is not None:
                self._find(s, Rule.NAME_MISMATCH, nik, said)
            born_said = evidence.birth_evidence(s.born, s.sex, nik)
            if born_said is not None:
                self._find(s, Rule.BIRTH_MISMATCH, nik, born_said)
                clash, said = True, f"{said}; {born_said}" if said else born_said
        doubtful = (
            registered is None
            or born_said is not None
            or (s.name and not evidence.same_person_name(s.name, registered.name))
        )
        suggested: list[evidence.Suggestion] = []
        if doubtful:
            suggested = evidence.suggestions(
                nik,
                s.name,
                names=self.names,
                cards=self.cards,
                holder_card=registered.family_card if registered else None,
            )
        status = LinkStatus.CERTAIN
        if clash or suggested:
            status = LinkStatus.CONFLICTED
        if suggested and said is None:
            said = (
                "SIAK does not know the NIK typed"
                if registered is None
                else "the name is not that of the NIK's holder in SIAK"
            )
        if suggested:
            self._find(
                s,
                Rule.NIK_MISTYPED,
                nik,
                f"{len(suggested)} NIK(s) likely meant: {suggested[0].evidence}",
            )
        self.verdicts[s.record] = (status, suggested)
        return status, said, suggested

    def through_nip(self, s: Sighting, holder: ThroughNIP) -> None:
        """Link a record knowing its person by NIP to whoever SIKDa says holds the NIP."""
        nip = self._value(s, Held(IdentifierKind.NIP, holder.nip))
        if nip is None:
            return
        owners = self.nip_owners.get(nip)
        if not owners:
            self._find(s, Rule.NIP_UNKNOWN, None, "no civil servant in SIKDa has this NIP")
            return
        for nik, (where, status) in sorted(owners.items()):
            # Through a NIK in doubt, the link is in doubt too: a steward decides.
            certain = status is LinkStatus.CERTAIN
            confidence = THROUGH_NIP if certain else evidence.CONFLICTED
            self._add_held(
                s, nik, LinkMethod.DERIVED, confidence, f"{where.name} NIP", status=status
            )

    def through_managers(self, s: Sighting, holder: ThroughManagers) -> None:
        """Link a vendor's NPWP to its directors or owner, its phone to the first of them;
        where a director's NIK was likely mistyped, to whom it meant too (SUGGESTED)."""
        answering = [m for m in holder.managers if m.answers_for_vendor]
        # Per manager: (NIK, status, evidence) of the NIK typed and of those it likely meant.
        managers: list[list[tuple[str, LinkStatus, str | None]]] = []
        for m in answering:
            status, suggested = self.verdicts.get(m.record, (LinkStatus.CERTAIN, []))
            nik = valid_nik(m.nik)
            # A director whose NIK is in doubt brings the doubt to the vendor's links.
            typed: list[tuple[str, LinkStatus, str | None]] = (
                [(nik, status, None)] if nik is not None else []
            )
            meant: list[tuple[str, LinkStatus, str | None]] = [
                (x.nik, LinkStatus.SUGGESTED, x.evidence) for x in suggested
            ]
            if typed or meant:
                managers.append(typed + meant)
        for h in s.holds:
            value = self._value(s, h)
            if value is None or self._npwp_of_individual(s, h, value):
                continue
            if not managers:
                self._find(s, Rule.NOTHING_TO_LINK, None, "no director or owner with a valid NIK")
                continue
            for index, niks in enumerate(managers):
                if h.kind is IdentifierKind.PHONE and index > 0:
                    break
                for nik, status, said in niks:
                    confidence = VENDOR_LEAD if index == 0 else VENDOR_OTHER
                    via = "LPSE director or owner"
                    if h.kind is IdentifierKind.PHONE:
                        confidence, via = VENDOR_PHONE, "LPSE lead"
                    if status is LinkStatus.SUGGESTED:
                        confidence = round(evidence.SUGGESTED / (len(niks) - 1 or 1), 3)
                    elif status is not LinkStatus.CERTAIN:
                        confidence = evidence.CONFLICTED
                    self._add(
                        s, h.kind, value, nik, LinkMethod.DERIVED, confidence, via, status, said
                    )

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

    def by_phone(self, s: Sighting, holder: ByPhoneOnly) -> list[tuple[str, Comparison]]:
        """A walk-in's candidates (see :mod:`identity.scoring`), or a finding saying why
        there are none."""
        if holder.phone is None:
            self._find(s, Rule.NOTHING_TO_LINK, None, "neither a NIK nor a phone")
            return []
        phone = self._value(s, Held(IdentifierKind.PHONE, holder.phone))
        if phone is None:
            return []
        given = self.phone_owners.get(phone, {})
        day = s.seen_on
        # The dead walk in nowhere after their death: their number has gone to someone else.
        alive = [
            (nik, level)
            for nik, level in sorted(given.items())
            if nik not in self.deaths or (day is not None and self.deaths[nik] >= day)
        ]
        if given and not alive:
            self._find(
                s, Rule.PHONE_OF_DECEASED, None, "everyone who gave this phone has since died"
            )
            return []
        if not alive:
            self._find(s, Rule.PHONE_UNMATCHED, None, "no record with a NIK gives this phone")
            return []
        if len(alive) < len(given):
            # A number someone gave before they died may since have gone to a stranger
            # (operators recycle numbers): whoever else gives it is not served as sure.
            self.doubts[(s.system, s.record)] = RECYCLED
            self._find(
                s, Rule.PHONE_MAY_BE_RECYCLED, None, "someone who gave this phone has since died"
            )
        elif phone in self.unknown_givers:
            self.doubts[(s.system, s.record)] = UNKNOWN_GIVER
        candidates = dict(alive)
        # Without the day, nobody can say who was 16 or 17; without a giver's card, who
        # is on it. A giver on another giver's card is weighed as a giver.
        if day is None:
            self.doubts.setdefault((s.system, s.record), NO_DAY)
        elif not all(self.cards_known(nik) for nik, _ in alive):
            self.doubts.setdefault((s.system, s.record), NO_FAMILY)
        for member, level in self.family_of([n for n, _ in alive], day).items():
            candidates.setdefault(member, level)
        return [
            (nik, (level, name_level(s.name, self.names.get(nik))))
            for nik, level in sorted(candidates.items())
        ]

    def score(self, s: Sighting, candidates: list[tuple[str, Comparison]], model: Model) -> None:
        """Link a walk-in to each candidate with its probability: CERTAIN from
        :data:`SERVED`, else SUGGESTED for a steward."""
        posteriors = model.posteriors([c for _, c in candidates])
        # Several people give the phone: a finding. A minor on a giver's card is not one
        # (every family has them); the links' statuses already put the doubt in the queue.
        givers = sum(1 for _, (level, _) in candidates if level in _GIVING)
        if givers > 1 and max(posteriors) < SERVED:
            self._find(s, Rule.PHONE_SHARED, None, f"{givers} people give this phone")
        doubt = self.doubts.get((s.system, s.record))
        for (nik, c), p in zip(candidates, posteriors, strict=True):
            if p < UNLIKELY:
                continue
            # A name clearly another's is never the candidate's for sure, as a NIK
            # under a name clearly not its holder's is not (CONFLICTED).
            caution = doubt or (OTHER_NAME if c[1] is NameLevel.OTHER else None)
            sure = p >= SERVED and caution is None
            status = LinkStatus.CERTAIN if sure else LinkStatus.SUGGESTED
            confidence = round(min(p, CEILING), 3)
            via = "phone and name" if s.name else "phone"
            said = model.evidence(c, p, caution)
            self._add_held(s, nik, LinkMethod.MATCHED, confidence, via, status, said)
