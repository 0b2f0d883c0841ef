"""How a citizen's queue tickets combine those carrying the NIK with those matched by phone."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from connectors.antrian.records import QueueTicket, TicketChannel, TicketStatus
from connectors.base import Source, Store
from schema.antrian.types import MatchedTicket
from schema.errors import SourceUnavailable
from schema.identity.loading import Match, with_matches

WIB = timezone(timedelta(hours=7))
NIK = "3671010112850001"


def _ticket(
    ticket_id: str, day: int, cls: type[QueueTicket] = QueueTicket, **extra: float
) -> QueueTicket:
    walk_in = cls is MatchedTicket
    return cls(
        id=ticket_id,
        number="A-001",
        visit_date=date(2026, 10, day),
        centre_code="MPP01",
        centre_name="MPP Kota Tangerang",
        service_code="MPP01-A",
        service_name="KTP-el",
        agency="Disdukcapil Kota Tangerang",
        counter=None,
        status=TicketStatus.SERVED,
        channel=TicketChannel.WALK_IN if walk_in else TicketChannel.ONLINE,
        nik=None if walk_in else NIK,
        name=None,
        phone="081234567890",
        taken_at=datetime(2026, 10, day, 9, tzinfo=WIB),
        called_at=None,
        served_at=None,
        **extra,
    )


def _match(ticket_id: str, day: int, confidence: float, *, accepted: bool = False) -> Match:
    ticket = _ticket(ticket_id, day, MatchedTicket, confidence=confidence)
    assert isinstance(ticket, MatchedTicket)
    return Match(ticket, accepted=accepted)


def test_matched_tickets_join_the_exact_ones_newest_first() -> None:
    exact = [_ticket("1", 20), _ticket("2", 5)]
    matched = {NIK: [_match("3", 12, 0.8)]}
    merged = with_matches(NIK, exact, matched)
    assert [t.id for t in merged] == ["1", "3", "2"]
    assert isinstance(merged[1], MatchedTicket) and merged[1].confidence == 0.8
    assert with_matches("3671010112850002", exact, matched) is exact


def test_without_the_crosswalk_the_field_fails() -> None:
    # Which tickets carrying the NIK are in doubt, and which walk-ins are the citizen's,
    # is not known: the field says so rather than answer part of it.
    down = SourceUnavailable(Store.HUB, "connection refused")
    assert with_matches(NIK, [_ticket("1", 20)], down) is down


def test_when_antrian_fails_the_field_fails() -> None:
    antrian = SourceUnavailable(Source.ANTRIAN, "connection refused")
    assert with_matches(NIK, antrian, {}) is antrian
    second_read = SourceUnavailable(Source.ANTRIAN, "timeout")
    assert with_matches(NIK, [_ticket("1", 20)], second_read) is second_read


def test_an_uncertain_match_is_left_out_where_only_certain_ones_may_show() -> None:
    exact = [_ticket("1", 20)]
    matched = {
        NIK: [
            _match("3", 12, 0.4),  # a phone several people gave
            _match("4", 13, 1.0),
            _match("5", 14, 0.7, accepted=True),  # a steward accepted it: the citizen's
        ]
    }
    shown = with_matches(NIK, exact, matched, min_confidence=1.0)
    assert [t.id for t in shown] == ["1", "5", "4"]
    assert isinstance(shown[1], MatchedTicket) and shown[1].confidence == 0.7
