"""resolveIdentity's candidates from stored links: each record at its own status, and the
family's composition said only to a caller who may read it (issue 15)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from connectors.base import Source
from connectors.crosswalk.reads import StoredLink
from identity.evidence import FAMILY_MEMBER, KK_NUMBER
from identity.kinds import IdentifierKind, LinkMethod, LinkStatus
from identity.scoring import PhoneLevel
from schema.identity.loading import _from_links, _without_family

_PARENT, _CHILD = "3671012210830001", "3671015202180001"
_WALK_IN = (
    "walk-in by phone: {} (weight +7.3), no name on the ticket (weight +0.1); probability 0.060"
)


def _link(record: str, nik: str, status: LinkStatus, evidence: str | None) -> StoredLink:
    return StoredLink(
        kind=IdentifierKind.PHONE,
        value="081234567890",
        system=Source.ANTRIAN,
        record=record,
        nik=nik,
        method=LinkMethod.MATCHED,
        confidence=1.0 if status is LinkStatus.CERTAIN else 0.4,
        via="phone",
        in_register=True,
        status=status,
        evidence=evidence,
        linked_at=datetime(2026, 1, 1, tzinfo=UTC),
        last_seen=None,
    )


def test_a_candidate_lists_under_its_status_only_the_records_at_it() -> None:
    (candidate,) = _from_links(
        [
            _link(
                "tiket:100541", _PARENT, LinkStatus.SUGGESTED, _WALK_IN.format("gives the phone")
            ),
            _link("tiket:100508", _PARENT, LinkStatus.CERTAIN, None),
        ]
    )
    assert (candidate.status, candidate.source_records) == (LinkStatus.CERTAIN, ["tiket:100508"])
    assert [(r.record, r.status) for r in candidate.records] == [
        ("tiket:100508", LinkStatus.CERTAIN),
        ("tiket:100541", LinkStatus.SUGGESTED),
    ]


def test_a_minor_found_on_a_givers_card_is_left_out_and_relations_are_not_named() -> None:
    minor = _WALK_IN.format(PhoneLevel.YOUNG.value)
    links = [
        _link("tiket:1", _PARENT, LinkStatus.SUGGESTED, _WALK_IN.format("gives the phone")),
        _link("tiket:1", _CHILD, LinkStatus.SUGGESTED, minor),
    ]
    assert [c.nik for c in _from_links(_without_family(links))] == [_PARENT]
    # Served as the child's (a steward accepted it): kept, the evidence withheld, as it
    # is for every accepted link (kept for some, its absence would name the others).
    accepted = replace(_link("tiket:2", _CHILD, LinkStatus.CERTAIN, minor), accepted=True)
    (kept,) = _from_links(_without_family([accepted]))
    assert kept.evidence is None and [r.evidence for r in kept.records] == [None]
    typo = replace(accepted, evidence="the NIK typed is one typo from this one (digit 3 differs)")
    assert _without_family([typo])[0].evidence is None
    walk_in = _link("tiket:3", _PARENT, LinkStatus.CERTAIN, _WALK_IN.format("gives the phone"))
    assert _without_family([walk_in]) == [walk_in]  # certain by itself: its evidence stays


def test_a_member_of_the_typed_holders_card_is_left_out() -> None:
    # The typed NIK's holder (an adult, in conflict) is the record's NIK: kept. The minor
    # found on that holder's card, or on the card whose number was typed, would tell who
    # is on whose card by their NIK and any sentence only that rule says: left out.
    typed = _link("pendaftar:1", _PARENT, LinkStatus.CONFLICTED, "birth year 35 years from SIAK's")
    for said in (FAMILY_MEMBER, KK_NUMBER):
        links = [typed, _link("pendaftar:1", _CHILD, LinkStatus.SUGGESTED, said)]
        assert {c.nik for c in _from_links(links)} == {_CHILD, _PARENT}
        (shown,) = _from_links(_without_family(links))
        assert shown.nik == _PARENT and shown.evidence == typed.evidence
    # A typo's suggestion is no family's: kept.
    typo = "the NIK typed is one typo from this one (digit 3 differs); names agree"
    near = [typed, _link("pendaftar:1", _CHILD, LinkStatus.SUGGESTED, typo)]
    assert len(_from_links(_without_family(near))) == 2
