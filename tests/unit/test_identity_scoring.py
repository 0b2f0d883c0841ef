"""The walk-in scores learnt from the tickets, and the birth date and sex weighed against a NIK."""

from __future__ import annotations

import random
from datetime import date

import pytest

from connectors.base import Source
from identity.crosswalk import phone_holders
from identity.evidence import birth_evidence
from identity.findings import Rule
from identity.kinds import IdentifierKind as K
from identity.kinds import LinkStatus
from identity.links import Register, Registered, link
from identity.nik import encode
from identity.scoring import Comparison, NameLevel, PhoneLevel, estimate, on_card
from identity.sightings import ByPhoneOnly, CarriesNIK, Held, Manager, Sighting, ThroughManagers

GIVEN, YOUNG = PhoneLevel.GIVEN, PhoneLevel.YOUNG


def _tickets(rng: random.Random, share_minor: float) -> list[list[Comparison]]:
    """Tickets as the city makes them: most phones one giver's; some givers have a
    17-year-old on the card, who walked in ``share_minor`` of those times; a fifth of
    walk-ins type their name."""
    tickets: list[list[Comparison]] = []
    for n in range(6000):
        with_minor = n % 5 == 0
        minor_walked = with_minor and rng.random() < share_minor
        named = rng.random() < 0.2

        def name(walker: bool, named: bool = named) -> NameLevel:
            if not named:
                return NameLevel.NONE
            return NameLevel.SAME if walker else NameLevel.OTHER

        ticket = [(GIVEN, name(not minor_walked))]
        if with_minor:
            ticket.append((YOUNG, name(minor_walked)))
        tickets.append(ticket)
    return tickets


@pytest.mark.parametrize("share_minor", [0.05, 0.2])
def test_em_learns_how_often_the_minor_walks_in_from_the_named_tickets(
    share_minor: float,
) -> None:
    model = estimate(_tickets(random.Random(7), share_minor))
    # Unnamed, a ticket with a minor on the card: the minor's probability is the share.
    parent, minor = model.posteriors([(GIVEN, NameLevel.NONE), (YOUNG, NameLevel.NONE)])
    assert minor == pytest.approx(share_minor, abs=0.04)
    assert parent < 0.995  # never served as certain: it is wrong that often
    # Alone on the phone, the giver is near certain; a name settles a shared case.
    (alone,) = model.posteriors([(GIVEN, NameLevel.NONE)])
    assert alone > 0.99
    named = model.posteriors([(GIVEN, NameLevel.OTHER), (YOUNG, NameLevel.SAME)])
    assert named[1] > 0.9 > named[0]
    assert "weight" in model.evidence((YOUNG, NameLevel.SAME), named[1])


def test_em_learns_whose_phone_minors_borrow() -> None:
    """Minors walk in on the head's phone (a tenth of the time here), never on another
    member's: the head stays a candidate only, another member who gives the phone is
    served as sure once the named tickets have shown it."""
    rng = random.Random(11)
    tickets: list[list[Comparison]] = []
    for n in range(8000):
        heads = n % 2 == 0
        minor_walked = heads and rng.random() < 0.1
        named = rng.random() < 0.2
        giver = NameLevel.SAME if named and not minor_walked else NameLevel.OTHER
        minor = NameLevel.SAME if named and minor_walked else NameLevel.OTHER
        if not named:
            giver = minor = NameLevel.NONE
        level = YOUNG if heads else PhoneLevel.YOUNG_MEMBER
        tickets.append([(GIVEN, giver), (level, minor)])
    model = estimate(tickets)
    unnamed = NameLevel.NONE
    head, _ = model.posteriors([(GIVEN, unnamed), (YOUNG, unnamed)])
    member, _ = model.posteriors([(GIVEN, unnamed), (PhoneLevel.YOUNG_MEMBER, unnamed)])
    assert head < 0.95 and member >= 0.995


def test_em_learns_that_adults_borrow_each_others_phones() -> None:
    """Where a spouse comes on the giver's phone one time in twenty, the named tickets
    show it: an unnamed ticket on a phone whose giver has an adult on the card is then
    not the giver's for sure. Where nobody does, it is."""

    def model(share: float) -> float:
        rng = random.Random(5)
        tickets: list[list[Comparison]] = []
        for _ in range(6000):
            spouse = rng.random() < share
            named = rng.random() < 0.2
            if named:
                giver = NameLevel.OTHER if spouse else NameLevel.SAME
                other = NameLevel.SAME if spouse else NameLevel.OTHER
            else:
                giver = other = NameLevel.NONE
            tickets.append([(GIVEN, giver), (PhoneLevel.ADULT, other)])
        unnamed = [(GIVEN, NameLevel.NONE), (PhoneLevel.ADULT, NameLevel.NONE)]
        return estimate(tickets).posteriors(unnamed)[0]

    assert model(0.05) < 0.995 <= model(0.0)


def test_a_tiny_city_keeps_the_prior() -> None:
    model = estimate([[(GIVEN, NameLevel.NONE)]])
    assert model.posteriors([(GIVEN, NameLevel.NONE)])[0] >= 0.995
    assert model.posteriors([(GIVEN, NameLevel.NONE), (YOUNG, NameLevel.NONE)])[0] < 0.995


def test_a_member_is_sixteen_seventeen_or_an_adult_on_the_day() -> None:
    minor = encode("367101", date(2009, 3, 4), "F", 1)
    assert on_card(minor, date(2025, 3, 3)) is None
    assert on_card(minor, date(2025, 3, 4)) is PhoneLevel.YOUNGER
    assert on_card(minor, date(2026, 3, 4)) is PhoneLevel.YOUNG
    assert on_card(minor, date(2027, 3, 3)) is PhoneLevel.YOUNG
    assert on_card(minor, date(2026, 3, 4), heads_card=False) is PhoneLevel.YOUNG_MEMBER
    assert on_card(minor, date(2027, 3, 4)) is PhoneLevel.ADULT


def test_birth_date_and_sex_tell_against_a_nik_beyond_a_typo() -> None:
    nik = encode("367101", date(1985, 12, 1), "M", 1)
    assert birth_evidence(None, None, nik) is None
    assert birth_evidence(date(1985, 12, 1), "M", nik) is None
    assert birth_evidence(date(1985, 1, 12), None, nik) is None  # day and month swapped
    assert birth_evidence(date(1986, 12, 1), None, nik) is None  # a year off
    assert birth_evidence(date(2012, 5, 5), None, nik) == "birth year 27 years from SIAK's"
    assert birth_evidence(None, "F", nik) == "the sex on the record is not SIAK's"


def test_a_parents_nik_in_the_childs_field_is_not_served_when_the_birth_date_tells() -> None:
    """The child shares the family name, so the name alone does not tell; the birth date does."""
    father = encode("367101", date(1980, 1, 1), "M", 1)
    child = encode("367101", date(2012, 5, 5), "M", 2)
    card = "3671011505100001"
    register = Register(
        people={father: Registered("AHMAD HIDAYAT", card)},
        cards={card: ((father, "AHMAD HIDAYAT"), (child, "AHMAD HIDAYAT"))},
    )
    form = Sighting(
        Source.PSB,
        "pendaftar:SD-2026-000001",
        CarriesNIK(father),
        (Held(K.PSB_REGISTRATION, "SD-2026-000001"),),
        "AHMAD HIDAYAT",
        date(2012, 5, 5),
    )
    crosswalk = link([form], register)
    by_nik = {x.nik: x for x in crosswalk.links}
    assert by_nik[father].status is LinkStatus.CONFLICTED
    assert by_nik[father].evidence == "birth year 32 years from SIAK's"
    assert by_nik[child].status is LinkStatus.SUGGESTED
    assert (form.record, Rule.BIRTH_MISMATCH) in {(f.record, f.rule) for f in crosswalk.findings}
    # Without the birth date the record is taken at its NIK, as before.
    undated = Sighting(form.system, form.record, form.holder, form.holds, form.name)
    assert {x.status for x in link([undated], register).links} == {LinkStatus.CERTAIN}


def test_phone_holders_are_who_gives_a_walk_ins_phone_in_any_form() -> None:
    nik = encode("367101", date(1985, 12, 1), "M", 1)
    other = encode("367101", date(1987, 3, 5), "F", 2)
    sightings = [
        Sighting(
            Source.APK, "permohonan:1", CarriesNIK(nik), (Held(K.PHONE, "+62 812-1111-2222"),)
        ),
        Sighting(Source.APK, "permohonan:2", CarriesNIK(other), (Held(K.PHONE, "081299998888"),)),
        Sighting(Source.ANTRIAN, "tiket:1", ByPhoneOnly("0812 1111 2222")),
    ]
    assert phone_holders(sightings) == {nik}
    # A vendor's phone is its director's: their card is weighed too, not a commissioner's.
    director = encode("367102", date(1979, 6, 19), "M", 2)
    commissioner = encode("367102", date(1960, 1, 1), "M", 3)
    managers = (
        Manager("pengurus:1", director, "BUDI", answers_for_vendor=True),
        Manager("pengurus:2", commissioner, "AGUS", answers_for_vendor=False),
    )
    vendor = Sighting(
        Source.LPSE, "penyedia:1", ThroughManagers(managers), (Held(K.PHONE, "081211112222"),)
    )
    assert phone_holders([*sightings, vendor]) == {nik, director}
