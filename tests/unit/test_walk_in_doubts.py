"""Walk-ins never served as sure, whatever the model's probability: what the records
cannot tell is said in the links' evidence, and the steward decides."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.base import Source
from identity.kinds import IdentifierKind as K
from identity.kinds import LinkStatus
from identity.links import Crosswalk, Register, Registered, link
from identity.nik import encode
from identity.sightings import ByPhoneOnly, CarriesNIK, Held, Sighting

BUDI = encode("367101", date(1985, 12, 1), "M", 1)
AGUS = encode("367103", date(1990, 7, 7), "M", 3)
CARD = "3671011505100001"
PHONE = "081211112222"
DAY = date(2026, 9, 1)
REGISTER = Register(
    people={BUDI: Registered("BUDI SANTOSO", CARD)}, cards={CARD: ((BUDI, "BUDI SANTOSO"),)}
)


def _apk(serial: str, nik: str, name: str = "BUDI SANTOSO", phone: str = PHONE) -> Sighting:
    holds = (Held(K.APK_REQUEST, f"APK/05/2026/{serial}"), Held(K.PHONE, phone))
    return Sighting(Source.APK, f"permohonan:{serial}", CarriesNIK(nik), holds, name)


def _walk_in(name: str | None = None, on: date | None = DAY) -> Sighting:
    holds = (Held(K.QUEUE_TICKET, "1"), Held(K.PHONE, PHONE))
    return Sighting(Source.ANTRIAN, "tiket:1", ByPhoneOnly(PHONE), holds, name, seen_on=on)


def _ticket(crosswalk: Crosswalk) -> dict[str, tuple[LinkStatus, str]]:
    return {
        x.nik: (x.status, x.evidence or "")
        for x in crosswalk.links
        if x.record == "tiket:1" and x.kind is K.QUEUE_TICKET
    }


def test_the_phones_only_giver_is_served_when_nothing_tells_against_him() -> None:
    assert _ticket(link([_apk("1", BUDI), _walk_in()], REGISTER))[BUDI][0] is LinkStatus.CERTAIN


@pytest.mark.parametrize(
    ("records", "register", "walk_in", "said"),
    [
        # A name clearly another's: someone else may have come on his phone.
        ([_apk("1", BUDI)], REGISTER, _walk_in("DEWI LESTARI"), "clearly another's"),
        # No day: whether a 16- or 17-year-old was on his card then is not known.
        ([_apk("1", BUDI)], REGISTER, _walk_in(on=None), "the ticket has no day"),
        # His family card is not known: nor who on it may use his phone.
        ([_apk("1", BUDI)], Register(people=REGISTER.people), _walk_in(), "not known"),
        # A record under a NIK whose holder is clearly not the one named, meaning nobody
        # SIAK knows, gives the phone too: someone unknown uses it.
        (
            [_apk("1", BUDI), _apk("2", AGUS, name="SRI WAHYUNI")],
            Register(
                people={**REGISTER.people, AGUS: Registered("AGUS WIBOWO", "3671031505100002")},
                cards=REGISTER.cards,
            ),
            _walk_in(),
            "whose person is not known",
        ),
    ],
)
def test_what_the_records_cannot_tell_keeps_the_walk_in_from_being_served(
    records: list[Sighting], register: Register, walk_in: Sighting, said: str
) -> None:
    status, evidence = _ticket(link([*records, walk_in], register))[BUDI]
    assert status is LinkStatus.SUGGESTED
    assert said in evidence


def test_a_death_under_any_of_a_persons_nik_is_theirs() -> None:
    """SIAK holds one person under three NIKs, paired A-B and B-C; dead under C, he gives
    no phone under A after the death."""
    second, third = BUDI[:12] + "9000", BUDI[:12] + "9001"
    register = Register(
        people=REGISTER.people,
        cards=REGISTER.cards,
        deaths={third: date(2026, 1, 1)},
        twins=[(BUDI, second), (second, third)],
    )
    assert _ticket(link([_apk("1", BUDI), _walk_in()], register)) == {}
