"""The linker on plain data: EXACT, DERIVED and MATCHED links and the findings, no database."""

from __future__ import annotations

import random
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from connectors.base import Source
from identity.findings import RegisterEntry, Rule, register_findings
from identity.kinds import IdentifierKind as K
from identity.kinds import LinkMethod, LinkStatus
from identity.links import (
    CEILING,
    Crosswalk,
    Link,
    Register,
    Registered,
    link,
    wanted,
)
from identity.nik import encode
from identity.sightings import (
    ByPhoneOnly,
    CarriesNIK,
    Held,
    Manager,
    Sighting,
    ThroughFamilyCard,
    ThroughManagers,
    ThroughNIP,
)

BUDI = encode("367101", date(1985, 12, 1), "M", 1)
SITI = encode("367101", date(1987, 3, 5), "F", 2)
AGUS = encode("367103", date(1990, 7, 7), "M", 3)
MINOR = encode("367101", date(2009, 3, 4), "F", 3)  # 17 from March 2026
NEIGHBOUR = encode("360301", date(1992, 1, 1), "F", 5000)  # Kabupaten Tangerang
CARD = "3671011505100001"
NIP_BUDI = "198512012010031001"
REGISTER = Register(
    people={
        BUDI: Registered("BUDI SANTOSO", CARD),
        SITI: Registered("SITI AMINAH", CARD),
        AGUS: Registered("AGUS WIBOWO", "3671031505100002"),
    },
    cards={CARD: ((BUDI, "BUDI SANTOSO"), (SITI, "SITI AMINAH"))},
)


def _spaced(nik: str) -> str:
    return f"{nik[:4]} {nik[4:8]} {nik[8:12]} {nik[12:]}"


def _apk(serial: str, nik: str, phone: str, name: str = "") -> Sighting:
    number = f"APK/05/2026/{int(serial[1:]):06d}"
    holds = (Held(K.APK_REQUEST, number), Held(K.PHONE, phone))
    return Sighting(Source.APK, f"permohonan:{serial}", CarriesNIK(nik), holds, name or None)


def _walk_in(
    ticket: int, phone: str, name: str | None = None, *, on: date | None = date(2026, 9, 1)
) -> Sighting:
    holds = (Held(K.QUEUE_TICKET, str(ticket)), Held(K.PHONE, phone))
    record = f"tiket:{ticket}"
    return Sighting(Source.ANTRIAN, record, ByPhoneOnly(phone), holds, name, seen_on=on)


def _links(crosswalk: Crosswalk, record: str) -> list[Link]:
    return sorted((x for x in crosswalk.links if x.record == record), key=lambda x: x.key)


def _rules(crosswalk: Crosswalk) -> set[tuple[str, Rule]]:
    return {(f.record, f.rule) for f in crosswalk.findings}


def test_a_record_carrying_a_nik_links_what_it_holds_exactly() -> None:
    sighting = Sighting(
        Source.CPNS,
        "pelamar:2436710000123",
        CarriesNIK(_spaced(BUDI)),
        (Held(K.CPNS_REGISTRATION, "2436710000123"), Held(K.PHONE, "+62 812-3456-7890")),
        "Budi Santoso",
    )
    crosswalk = link([sighting], REGISTER)
    assert [(x.kind, x.value, x.nik, x.method, x.confidence) for x in crosswalk.links] == [
        (K.CPNS_REGISTRATION, "2436710000123", BUDI, LinkMethod.EXACT, 1.0),
        (K.PHONE, "081234567890", BUDI, LinkMethod.EXACT, 1.0),
    ]
    assert all(x.in_register and x.via is None for x in crosswalk.links)
    assert crosswalk.findings == []


def test_a_nip_known_only_to_sipbd_is_derived_through_sikda() -> None:
    sikda = Sighting(
        Source.SIKDA, f"pegawai:{NIP_BUDI}", CarriesNIK(BUDI), (Held(K.NIP, NIP_BUDI),), "Budi"
    )
    printed = f"{NIP_BUDI[:8]} {NIP_BUDI[8:14]} {NIP_BUDI[14]} {NIP_BUDI[15:]}"
    held = Sighting(Source.SIPBD, "barang:7", ThroughNIP(printed), (Held(K.NIP, printed),))
    departed = "196001011985031002"
    gone = Sighting(Source.SIPBD, "barang:8", ThroughNIP(departed), (Held(K.NIP, departed),))
    crosswalk = link([held, gone, sikda], REGISTER)  # order does not matter
    (derived,) = _links(crosswalk, "barang:7")
    assert (derived.value, derived.nik, derived.method) == (NIP_BUDI, BUDI, LinkMethod.DERIVED)
    assert derived.via == "SIKDA NIP" and 0.9 <= derived.confidence < 1
    assert _links(crosswalk, "barang:8") == []
    assert ("barang:8", Rule.NIP_UNKNOWN) in _rules(crosswalk)


def test_a_vendors_npwp_goes_to_its_director_and_an_individuals_npwp_is_their_nik() -> None:
    company = Sighting(
        Source.LPSE,
        "penyedia:1001",
        ThroughManagers(
            (
                Manager("pengurus:1", BUDI, "BUDI SANTOSO", answers_for_vendor=True),
                Manager("pengurus:2", AGUS, "AGUS WIBOWO", answers_for_vendor=False),
            )
        ),
        (Held(K.NPWP, "01.234.567.8-416.000"), Held(K.PHONE, "0812-3456-7890")),
    )
    individual = Sighting(
        Source.LPSE,
        "penyedia:1002",
        ThroughManagers((Manager("pengurus:3", AGUS, "AGUS", answers_for_vendor=True),)),
        (Held(K.NPWP, SITI),),  # filed under another person's NIK: it is still hers
    )
    crosswalk = link([company, individual], REGISTER)
    npwp, phone = _links(crosswalk, "penyedia:1001")
    assert (npwp.kind, npwp.value, npwp.nik) == (K.NPWP, "0012345678416000", BUDI)
    assert npwp.method is LinkMethod.DERIVED and npwp.confidence == 0.9
    assert (phone.kind, phone.nik, phone.method, phone.confidence) == (
        K.PHONE,
        BUDI,
        LinkMethod.DERIVED,
        0.7,
    )
    (own,) = _links(crosswalk, "penyedia:1002")
    assert (own.value, own.nik, own.method, own.confidence) == (SITI, SITI, LinkMethod.EXACT, 1.0)


def test_a_parents_phone_is_derived_through_the_family_card() -> None:
    def parent(record: str, card: str, name: str) -> Sighting:
        holder = ThroughFamilyCard(card, name)
        return Sighting(Source.PSB, record, holder, (Held(K.PHONE, "6285711112222"),), name)

    crosswalk = link(
        [
            parent("pendaftar:SD-2026-000001", CARD, "Siti Aminah"),
            parent("pendaftar:SD-2026-000002", CARD, "Dewi Lestari"),
            parent("pendaftar:SD-2026-000003", "3603011505100009", "Dewi Lestari"),
        ],
        REGISTER,
    )
    (found,) = _links(crosswalk, "pendaftar:SD-2026-000001")
    assert (found.value, found.nik, found.method) == ("085711112222", SITI, LinkMethod.DERIVED)
    assert found.via == "SIAK family card"
    assert _links(crosswalk, "pendaftar:SD-2026-000002") == []
    assert {
        ("pendaftar:SD-2026-000002", Rule.PARENT_NOT_ON_CARD),
        ("pendaftar:SD-2026-000003", Rule.PARENT_NOT_ON_CARD),
    } <= _rules(crosswalk)


def test_a_walk_in_whose_phone_one_person_gives_matches_them() -> None:
    crosswalk = link(
        [_walk_in(100001, "0812 1111 2222"), _apk("A1", BUDI, "081211112222")], REGISTER
    )
    phone, ticket = _links(crosswalk, "tiket:100001")  # by key: PHONE before QUEUE_TICKET
    assert (ticket.kind, ticket.value, phone.kind) == (K.QUEUE_TICKET, "100001", K.PHONE)
    assert {x.nik for x in (ticket, phone)} == {BUDI}
    assert all(x.method is LinkMethod.MATCHED and x.confidence == CEILING for x in (ticket, phone))
    assert ticket.status is LinkStatus.CERTAIN
    assert ticket.via == "phone"
    # The weights that made it, for the steward.
    assert ticket.evidence is not None and "gives the phone (weight +" in ticket.evidence


def test_a_phone_two_people_give_links_the_walk_in_to_both_never_one() -> None:
    shared = "081233334444"
    given_by_both = [_apk("A1", BUDI, shared), _apk("A2", AGUS, "+62 812-3333-4444")]
    crosswalk = link([*given_by_both, _walk_in(100002, shared)], REGISTER)
    tickets = [x for x in _links(crosswalk, "tiket:100002") if x.kind is K.QUEUE_TICKET]
    assert {x.nik for x in tickets} == {BUDI, AGUS}
    assert all(x.status is LinkStatus.SUGGESTED and x.confidence < 0.8 for x in tickets)
    assert ("tiket:100002", Rule.PHONE_SHARED) in _rules(crosswalk)
    # A name on the ticket makes one surer and the other less sure.
    named = link([*given_by_both, _walk_in(100003, shared, "Agus Wibowo")], REGISTER)
    confidence = {
        x.nik: x.confidence for x in _links(named, "tiket:100003") if x.kind is K.QUEUE_TICKET
    }
    assert confidence[AGUS] > 0.5 > confidence.get(BUDI, 0)
    assert _links(named, "tiket:100003")[0].via == "phone and name"


def test_a_minor_on_a_parents_phone_keeps_the_parent_from_being_certain() -> None:
    """A 17-year-old on the card of whoever gives the phone may be the walk-in: without a
    name the parent is only a candidate; with the minor's name, the minor is first."""
    day = date(2026, 9, 1)
    register = Register(
        people=dict(REGISTER.people),
        cards={CARD: (*REGISTER.cards[CARD], (MINOR, "RINA SANTOSO"))},
    )
    records = [_apk("A1", BUDI, "081211112222")]
    unnamed = link([*records, _walk_in(100005, "081211112222", on=day)], register)
    tickets = {x.nik: x for x in _links(unnamed, "tiket:100005") if x.kind is K.QUEUE_TICKET}
    assert tickets[BUDI].status is LinkStatus.SUGGESTED
    assert tickets[BUDI].confidence > tickets[MINOR].confidence
    named = link([*records, _walk_in(100006, "081211112222", "Rina Santoso", on=day)], register)
    first = max(_links(named, "tiket:100006"), key=lambda x: x.confidence)
    assert first.nik == MINOR
    # Two years before, she was 15: no candidate, and her father is certain.
    earlier = link([*records, _walk_in(100007, "081211112222", on=date(2024, 9, 1))], register)
    assert {(x.nik, x.status) for x in _links(earlier, "tiket:100007")} == {
        (BUDI, LinkStatus.CERTAIN)
    }


def test_the_dead_match_walk_ins_only_until_their_death() -> None:
    register = Register(
        people=REGISTER.people, cards=REGISTER.cards, deaths={BUDI: date(2026, 8, 1)}
    )
    records = [_apk("A1", BUDI, "081211112222")]
    before = link([*records, _walk_in(100008, "081211112222", on=date(2026, 7, 1))], register)
    assert {x.nik for x in _links(before, "tiket:100008")} == {BUDI}
    after = link([*records, _walk_in(100009, "081211112222", on=date(2026, 9, 1))], register)
    assert _links(after, "tiket:100009") == []
    assert ("tiket:100009", Rule.PHONE_OF_DECEASED) in _rules(after)
    # Registered twice, dead under one NIK: dead under the other too.
    twin = BUDI[:12] + "9000"
    twins = Register(
        people={**REGISTER.people, twin: Registered("BUDI SANTOSO", CARD)},
        deaths={BUDI: date(2026, 8, 1)},
        twins=[(BUDI, twin)],
    )
    records = [_apk("A2", twin, "081211112222")]
    again = link([*records, _walk_in(100010, "081211112222", on=date(2026, 9, 1))], twins)
    assert _links(again, "tiket:100010") == []


def test_a_phone_one_of_its_givers_died_is_never_served_as_sure() -> None:
    """Siti gave the phone too and has died: her number may have gone to a stranger, so
    Budi, its only living giver, is a candidate for the steward, with the reason."""
    register = Register(
        people=REGISTER.people, cards=REGISTER.cards, deaths={SITI: date(2026, 2, 1)}
    )
    records = [_apk("A1", BUDI, "081211112222"), _apk("A2", SITI, "081211112222")]
    walk_in = _walk_in(100011, "081211112222", on=date(2026, 9, 1))
    crosswalk = link([*records, walk_in], register)
    ticket = [x for x in _links(crosswalk, "tiket:100011") if x.kind is K.QUEUE_TICKET]
    assert [(x.nik, x.status) for x in ticket] == [(BUDI, LinkStatus.SUGGESTED)]
    assert "someone who gave this phone has died" in (ticket[0].evidence or "")
    assert ("tiket:100011", Rule.PHONE_MAY_BE_RECYCLED) in _rules(crosswalk)
    # Before her death nobody's number had passed on: the two givers share it.
    before = link([*records, _walk_in(100012, "081211112222", on=date(2026, 1, 1))], register)
    assert ("tiket:100012", Rule.PHONE_MAY_BE_RECYCLED) not in _rules(before)


def test_whose_phone_a_minor_may_borrow_is_a_level_of_its_own() -> None:
    """The head of the card gives the phone, or another member does: the 17-year-old is
    a candidate at a different level in each, so the tickets can weigh them apart."""
    day = date(2026, 9, 1)
    register = Register(
        people=dict(REGISTER.people),
        cards={CARD: (*REGISTER.cards[CARD], (MINOR, "RINA SANTOSO"))},
    )

    def minor_level(giver: str) -> str:
        records = [_apk("A1", giver, "081211112222"), _walk_in(1, "081211112222", on=day)]
        ticket = _links(link(records, register), "tiket:1")
        return next(x.evidence or "" for x in ticket if x.nik == MINOR)

    assert minor_level(BUDI).startswith("walk-in by phone: 17, on the card of who gives")
    assert "17, on the card of a member (not its head)" in minor_level(SITI)


def test_a_minor_is_weighed_on_the_card_of_the_givers_other_nik() -> None:
    """Budi, registered twice, gives the phone under his second NIK; his 17-year-old is
    on the card of the first: still a candidate, so Budi is not served as sure."""
    twin = BUDI[:12] + "9000"
    register = Register(
        people={**REGISTER.people, twin: Registered("BUDI SANTOSO", "3671019999990001")},
        cards={CARD: (*REGISTER.cards[CARD], (MINOR, "RINA SANTOSO"))},
        twins=[(BUDI, twin)],
    )
    records = [_apk("A1", twin, "081211112222"), _walk_in(1, "081211112222", on=date(2026, 9, 1))]
    ticket = {x.nik: x.status for x in _links(link(records, register), "tiket:1")}
    assert ticket == {twin: LinkStatus.SUGGESTED, MINOR: LinkStatus.SUGGESTED}


def test_a_minor_left_on_the_card_a_parent_left_is_still_a_candidate() -> None:
    """Budi moved to a card of his own; his 17-year-old stayed on the old one, where SIAK
    lists him as having left: she may still use his phone."""
    moved = "3671011505260001"
    register = Register(
        people={**REGISTER.people, BUDI: Registered("BUDI SANTOSO", moved)},
        cards={
            CARD: ((SITI, "SITI AMINAH"), (MINOR, "RINA SANTOSO"), (BUDI, "BUDI SANTOSO")),
            moved: ((BUDI, "BUDI SANTOSO"),),
        },
    )
    records = [_apk("A1", BUDI, "081211112222"), _walk_in(1, "081211112222", on=date(2026, 9, 1))]
    ticket = {x.nik: x for x in _links(link(records, register), "tiket:1")}
    assert ticket[BUDI].status is LinkStatus.SUGGESTED
    assert "17, on the card of who gives the phone" in (ticket[MINOR].evidence or "")


def test_a_walk_in_whose_phone_nobody_gives_links_to_no_one() -> None:
    crosswalk = link([_walk_in(100004, "089900001111"), _apk("A1", BUDI, "0812")], REGISTER)
    assert _links(crosswalk, "tiket:100004") == []
    assert ("tiket:100004", Rule.PHONE_UNMATCHED) in _rules(crosswalk)
    # The APK request's phone did not parse: a finding, not a link.
    assert ("permohonan:A1", Rule.INVALID_IDENTIFIER) in _rules(crosswalk)
    assert [x.kind for x in _links(crosswalk, "permohonan:A1")] == [K.APK_REQUEST]


def test_a_nik_siak_does_not_know_is_linked_but_to_no_citizen() -> None:
    crosswalk = link([_apk("A9", NEIGHBOUR, "081255556666")], REGISTER)
    assert crosswalk.links and all(not x.in_register for x in crosswalk.links)
    (finding,) = crosswalk.findings
    assert finding.rule is Rule.NOT_IN_REGISTER and finding.nik == NEIGHBOUR
    assert "3603 Kabupaten Tangerang" in finding.detail


def test_a_name_clearly_not_siaks_under_a_nik_is_a_conflict() -> None:
    crosswalk = link(
        [_apk("A1", BUDI, "081211112222", "Dewi Lestari"), _apk("A2", SITI, "0812", "Siti A.")],
        REGISTER,
    )
    assert ("permohonan:A1", Rule.NAME_MISMATCH) in _rules(crosswalk)
    assert ("permohonan:A2", Rule.NAME_MISMATCH) not in _rules(crosswalk)
    # The record still links: the NIK is what it carries.
    assert {x.nik for x in _links(crosswalk, "permohonan:A1")} == {BUDI}


def test_a_nip_that_disagrees_with_its_nik_is_a_conflict() -> None:
    wrong_year = "198412012010031001"  # born 1984, the NIK says 1985
    wrong_sex = "198512012010032001"  # a woman, the NIK says a man
    crosswalk = link(
        [
            Sighting(Source.SIKDA, "pegawai:a", CarriesNIK(BUDI), (Held(K.NIP, wrong_year),)),
            Sighting(Source.SIKDA, "pegawai:b", CarriesNIK(BUDI), (Held(K.NIP, wrong_sex),)),
            Sighting(Source.SIKDA, "pegawai:c", CarriesNIK(BUDI), (Held(K.NIP, NIP_BUDI),)),
        ],
        REGISTER,
    )
    assert _rules(crosswalk) == {("pegawai:a", Rule.NIP_BIRTH_DATE), ("pegawai:b", Rule.NIP_SEX)}
    (birth,) = [f for f in crosswalk.findings if f.rule is Rule.NIP_BIRTH_DATE]
    assert "365 days apart" in birth.detail and BUDI not in birth.detail


def test_a_register_entry_whose_nik_encodes_another_birth_date_or_sex() -> None:
    findings = register_findings(
        [
            RegisterEntry(BUDI, date(1985, 12, 3), "M"),
            RegisterEntry(SITI, date(1987, 3, 5), "M"),
            RegisterEntry(AGUS, date(1990, 7, 7), "M"),
        ]
    )
    assert [(f.nik, f.rule) for f in findings] == [
        (BUDI, Rule.NIK_BIRTH_DATE),
        (SITI, Rule.NIK_SEX),
    ]
    assert "2 days apart" in findings[0].detail


def test_wanted_names_what_the_register_is_asked() -> None:
    sightings = [
        _apk("A1", _spaced(BUDI), "0812"),
        Sighting(Source.PSB, "pendaftar:x", ThroughFamilyCard(CARD, "SITI"), ()),
        Sighting(Source.LPSE, "penyedia:1", ThroughManagers(()), (Held(K.NPWP, AGUS),)),
    ]
    assert wanted(sightings) == ({BUDI, AGUS}, {CARD})


def _city_sightings() -> list[Sighting]:
    return [
        _apk("A1", BUDI, "081211112222"),
        _apk("A2", AGUS, "081233334444"),
        _apk("A3", SITI, "081233334444", "Siti Aminah"),
        _apk("A4", NEIGHBOUR, "081299990000"),
        Sighting(Source.SIKDA, "pegawai:1", CarriesNIK(BUDI), (Held(K.NIP, NIP_BUDI),)),
        Sighting(Source.SIPBD, "barang:1", ThroughNIP(NIP_BUDI), (Held(K.NIP, NIP_BUDI),)),
        _walk_in(100001, "081211112222"),
        _walk_in(100002, "081233334444", "AGUS WIBOWO"),
        _walk_in(100003, "081277778888"),
    ]


@given(st.randoms(use_true_random=False))
def test_the_crosswalk_does_not_depend_on_the_order_records_are_read(rnd: random.Random) -> None:
    sightings = _city_sightings()
    expected = link(sightings, REGISTER)
    rnd.shuffle(sightings)
    again = link(sightings, REGISTER)
    assert set(again.links) == set(expected.links)
    assert set(again.findings) == set(expected.findings)
