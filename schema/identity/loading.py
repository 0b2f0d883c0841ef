"""The federation's identity reads: matched queue tickets for a level of citizens, and
``resolveIdentity``.

Walk-in tickets carry no NIK: the crosswalk matched them by phone. A level of
citizens reads its links from the hub's store (one statement, with the level's
other sources) and, one level down, the matched tickets from Antrian by id (one
more statement), so the count stays the same whatever the number of citizens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, cast

from connectors.antrian import reads as antrian_reads
from connectors.antrian.records import QueueTicket
from connectors.base import Source, Store
from connectors.crosswalk import reads as lookups
from connectors.siak import reads as siak_reads
from identity.errors import InvalidIdentifier
from identity.evidence import tells_family
from identity.kinds import (
    HELD_BY,
    METHOD_STRENGTH,
    IdentifierKind,
    LinkMethod,
    LinkStatus,
    canonical,
)
from schema.antrian.types import MatchedTicket
from schema.errors import BadUserInput, Forbidden
from schema.identity.types import IdentityCandidate, IdentityMatch, IdentityRecord
from schema.scopes import FAMILY, STEWARD
from schema.viewing import disclose

if TYPE_CHECKING:
    from connectors.crosswalk.reads import StoredLink
    from schema.citizen.types import Citizen
    from schema.federation import Federation
    from schema.selection import Plan


@dataclass(frozen=True, slots=True)
class Match:
    """A walk-in's ticket matched to a citizen, and whether a steward accepted the match
    (served as certain then, its confidence still the linker's)."""

    ticket: MatchedTicket
    accepted: bool = False

    def certain(self, min_confidence: float) -> bool:
        return self.accepted or self.ticket.confidence >= min_confidence


async def matched_tickets(
    federation: Federation, links: dict[str, list[StoredLink]] | Exception
) -> dict[str, list[Match]]:
    """The tickets matched to each NIK, read from Antrian by id in one statement."""
    if isinstance(links, Exception):
        raise links
    matches = [
        (nik, link)
        for nik, found in links.items()
        for link in found
        if link.kind is IdentifierKind.QUEUE_TICKET and link.method is LinkMethod.MATCHED
    ]
    if not matches:
        return {}
    ids = list(dict.fromkeys(link.value for _, link in matches))
    tickets = await federation.read_together(Source.ANTRIAN, antrian_reads.tickets_by_id, ids)
    out: dict[str, list[Match]] = {}
    for nik, link in matches:
        ticket = tickets.get(link.value)
        if ticket is not None:
            values = {f.name: getattr(ticket, f.name) for f in fields(QueueTicket)}
            matched = MatchedTicket(**values, confidence=link.confidence)
            out.setdefault(nik, []).append(Match(matched, accepted=link.accepted))
    return out


def with_matches(
    nik: str,
    exact: Any,
    matched: dict[str, list[Match]] | Exception,
    *,
    min_confidence: float = 0.0,
) -> Any:
    """The citizen's tickets: those carrying the NIK and those matched to it, newest first.

    Matches below ``min_confidence`` are left out unless a steward accepted them: a
    phone several people gave may have brought someone else to the counter, and a
    citizen is not shown another person's visit as theirs; a match a steward accepted
    is the citizen's, as the crosswalk serves it.

    When the hub's store cannot answer, the field fails: which of the tickets
    carrying the NIK are in doubt is not known (:mod:`schema.doubts`); so it does
    when Antrian cannot.
    """
    if isinstance(exact, Exception):
        return exact
    if isinstance(matched, Exception):
        return matched
    mine = [m.ticket for m in matched.get(nik, ()) if m.certain(min_confidence)]
    if not mine:
        return exact
    merged: list[QueueTicket] = [*exact, *mine]
    merged.sort(key=lambda t: (t.visit_date, t.taken_at), reverse=True)
    return merged


async def resolve_identity(
    federation: Federation, system: Source, identifier: str, plan: Plan
) -> IdentityMatch:
    """Whom ``identifier``, as ``system`` holds it, belongs to; see :class:`IdentityMatch`."""
    parsed, problems = _read_as(system, identifier)
    if not parsed:
        kind, problem = problems[0]
        kinds = ", ".join(k.value for k, _ in problems)
        raise BadUserInput(
            f"{system.name} holds no identifier like this ({kinds}); as a {kind.value}: {problem}",
            rule=f"{kind.value}.{problem.rule}",
        )
    viewer = federation.viewer
    family = viewer is not None and (viewer.may(FAMILY) or viewer.may(STEWARD))
    kind, value, candidates = await _candidates(federation, system, parsed, family=family)
    if not all(federation.gate.admits(c.nik) for c in candidates):
        raise Forbidden(
            "this identifier leads to citizens outside what the access decision admitted",
            reason="not_admitted",
        )
    for candidate in candidates:
        # Whom an identifier belongs to is a disclosure, citizen selected or not.
        disclose(federation.disclosed, candidate.nik, {"resolveIdentity"}, system.name)
    citizen_plan = plan.child("candidates", "citizen")
    if citizen_plan.selected and candidates:
        niks = [c.nik for c in candidates]
        citizens = await federation.citizens(niks, citizen_plan, supplied=False)
        for candidate, citizen in zip(candidates, citizens, strict=True):
            # A refused citizen is its FORBIDDEN error, raised in its place by graphql-core.
            candidate.citizen = cast("Citizen | None", citizen)
    return IdentityMatch(
        identifier=identifier,
        system=system,
        kind=kind,
        value=value,
        candidates=candidates,
    )


def _read_as(
    system: Source, identifier: str
) -> tuple[list[tuple[IdentifierKind, str]], list[tuple[IdentifierKind, InvalidIdentifier]]]:
    parsed: list[tuple[IdentifierKind, str]] = []
    problems: list[tuple[IdentifierKind, InvalidIdentifier]] = []
    for kind in HELD_BY[system]:
        try:
            parsed.append((kind, canonical(kind, identifier)))
        except InvalidIdentifier as exc:
            problems.append((kind, exc))
    return parsed, problems


async def _candidates(
    federation: Federation,
    system: Source,
    parsed: list[tuple[IdentifierKind, str]],
    *,
    family: bool,
) -> tuple[IdentifierKind, str, list[IdentityCandidate]]:
    """The first way of reading the identifier that finds someone, and whom it finds
    (as :func:`_without_family` says it, to a caller who may not read family cards)."""
    # SIAK is the NIK master: its family cards and NIKs are answered by SIAK itself. A NIK
    # typed in a product is asked of the crosswalk like any identifier: it may be a typo,
    # a parent's, a card number, and the links say so (CONFLICTED beside the SUGGESTED one).
    linked = [(k, v) for k, v in parsed if system is not Source.SIAK]
    links: list[StoredLink] = []
    if linked:
        links = await federation.read(
            Store.HUB, lambda db, _: lookups.links_by_identifier(db, system, linked), ()
        )
    for kind, value in parsed:
        found = [link for link in links if link.kind is kind and link.value == value]
        if found:
            return kind, value, _from_links(found if family else _without_family(found))
        if kind is IdentifierKind.KK and system is Source.SIAK:
            # Shared with the level's other reads of cards (two aliases, family(...)).
            cards = await federation.read_together(
                Source.SIAK, siak_reads.families_by_card, [value]
            )
            if value in cards:
                record = f"keluarga:{value}"
                return kind, value, [_exact(m.nik, record) for m in cards[value].members]
        if kind is IdentifierKind.NIK:
            # Nothing links it in this product (no record, or one newer than the last
            # sync): the NIK itself, as typed.
            return kind, value, [_exact(value, None)]
    kind, value = parsed[0]
    return kind, value, []


def _from_links(links: Sequence[StoredLink]) -> list[IdentityCandidate]:
    """One candidate per NIK, at its surest link's status: the records listed under it
    are those linking at that status, each record's own link in ``records``."""
    by_nik: dict[str, list[StoredLink]] = {}
    for link in links:
        by_nik.setdefault(link.nik, []).append(link)
    out: list[IdentityCandidate] = []
    for nik, found in by_nik.items():
        found.sort(key=_sureness, reverse=True)
        best = found[0]
        out.append(
            IdentityCandidate(
                nik=nik,  # type: ignore[arg-type]
                citizen=None,
                method=best.method,
                confidence=best.confidence,
                via=best.via,
                source_records=sorted({k.record for k in found if k.status is best.status}),
                status=best.status,
                evidence=best.evidence,
                records=[
                    IdentityRecord(
                        record=k.record,
                        method=k.method,
                        confidence=k.confidence,
                        status=k.status,
                        evidence=k.evidence,
                    )
                    for k in found
                ],
            )
        )
    out.sort(key=lambda c: (-c.confidence, -METHOD_STRENGTH[c.method], c.nik))
    return out


def _sureness(link: StoredLink) -> tuple[bool, int, float, str]:
    return (
        link.status is LinkStatus.CERTAIN,
        METHOD_STRENGTH[link.method],
        link.confidence,
        link.record,
    )


def _without_family(links: Sequence[StoredLink]) -> list[StoredLink]:
    """The links as a caller without siak:family (nor the steward's scope) is told them.

    A link in doubt found only through a family card (a minor on a phone giver's card,
    a member of the typed NIK holder's card, a member of a card whose number was typed)
    is left out: the candidate's NIK (a birth date) beside the identifier tells who is
    on whose card, whatever its evidence says; an evidence reworded is still said by
    that rule alone. A link served as certain is the citizen's and kept; where a
    steward accepted it (or a family rule found it) its evidence, why it was in doubt,
    is withheld: kept for the accepted typos only, an absent one would name the rest.
    """
    out: list[StoredLink] = []
    for link in links:
        if link.status is not LinkStatus.CERTAIN:
            if not tells_family(link.evidence):
                out.append(link)
        elif link.accepted or tells_family(link.evidence):
            out.append(replace(link, evidence=None))
        else:
            out.append(link)
    return out


def _exact(nik: str, record: str | None) -> IdentityCandidate:
    return IdentityCandidate(
        nik=nik,  # type: ignore[arg-type]
        citizen=None,
        method=LinkMethod.EXACT,
        confidence=1.0,
        via=None,
        source_records=[record] if record else [],
        status=LinkStatus.CERTAIN,
        evidence=None,
        records=[
            IdentityRecord(
                record=record,
                method=LinkMethod.EXACT,
                confidence=1.0,
                status=LinkStatus.CERTAIN,
                evidence=None,
            )
        ]
        if record
        else [],
    )
