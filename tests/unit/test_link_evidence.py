"""Links weigh evidence: a NIK whose holder is not the person named, a mistyped NIK,
the dead, a parent who left the family card (the linker on plain data, no database)."""

from __future__ import annotations

from datetime import date

from connectors.base import Source
from identity.crosswalk import Crosswalk, Link, Register, Registered
from identity.evidence import near_misses
from identity.findings import Rule
from identity.kinds import IdentifierKind as K
from identity.kinds import LinkMethod, LinkStatus
from identity.links import link
from identity.nik import encode
from identity.sightings import ByPhoneOnly, CarriesNIK, Held, Sighting, ThroughFamilyCard

BUDI = encode("367101", date(1985, 12, 1), "M", 1)
SITI = encode("367101", date(1987, 3, 5), "F", 2)
RINA = encode("367101", date(2014, 6, 9), "F", 3)  # their daughter
AGUS = encode("367103", date(1990, 7, 7), "M", 3)
CARD = "3671011505100001"
NEW_CARD = "3671010103260001"
REGISTER = Register(
    people={
        BUDI: Registered("MUHAMMAD BUDI SANTOSO", CARD),
        SITI: Registered("SITI NURAINI", NEW_CARD),
        RINA: Registered("RINA PUSPITA", CARD),
        AGUS: Registered("AGUS WIBOWO", "3671031505100002"),
    },
    cards={
        CARD: ((BUDI, "MUHAMMAD BUDI SANTOSO"), (RINA, "RINA PUSPITA"), (SITI, "SITI NURAINI")),
    },
)


def _apk(record: str, nik: str, name: str | None, phone: str = "081234567890") -> Sighting:
    holds = (Held(K.APK_REQUEST, "APK/05/2026/000001"), Held(K.PHONE, phone))
    return Sighting(Source.APK, f"permohonan:{record}", CarriesNIK(nik), holds, name)


def _by_nik(crosswalk: Crosswalk, record: str) -> dict[str, Link]:
    return {x.nik: x for x in crosswalk.links if x.record == record and x.kind is K.PHONE}


def _rules(crosswalk: Crosswalk, record: str) -> set[Rule]:
    return {f.rule for f in crosswalk.findings if f.record == record}


def test_a_nik_held_by_someone_else_is_conflicted_and_the_named_person_suggested() -> None:
    # Budi typed the last digit of his NIK wrong: a valid NIK nobody holds.
    typo = BUDI[:-1] + "2"
    crosswalk = link([_apk("A1", typo, "M. Budi Santoso")], REGISTER)
    links = _by_nik(crosswalk, "permohonan:A1")
    assert links[typo].status is LinkStatus.CONFLICTED and links[typo].confidence < 0.5
    suggested = links[BUDI]
    assert (suggested.status, suggested.method) == (LinkStatus.SUGGESTED, LinkMethod.MATCHED)
    assert "digit 16 differs" in (suggested.evidence or "")
    assert {Rule.NOT_IN_REGISTER, Rule.NIK_MISTYPED} <= _rules(crosswalk, "permohonan:A1")


def test_another_citizens_nik_under_a_clearly_different_name_is_never_certain() -> None:
    crosswalk = link([_apk("A2", AGUS, "Dewi Lestari")], REGISTER)
    (only,) = _by_nik(crosswalk, "permohonan:A2").values()
    assert only.nik == AGUS and only.status is LinkStatus.CONFLICTED
    assert only.evidence is not None and only.evidence.startswith("name similarity")
    assert Rule.NAME_MISMATCH in _rules(crosswalk, "permohonan:A2")


def test_a_parents_nik_in_the_childs_field_suggests_the_child_on_the_same_card() -> None:
    crosswalk = link([_apk("A3", BUDI, "Rina Puspita")], REGISTER)
    links = _by_nik(crosswalk, "permohonan:A3")
    assert links[BUDI].status is LinkStatus.CONFLICTED
    assert links[RINA].status is LinkStatus.SUGGESTED
    assert "family member" in (links[RINA].evidence or "")


def test_a_family_card_number_typed_as_a_nik_suggests_the_member_named() -> None:
    crosswalk = link([_apk("A4", CARD, "RINA PUSPITA")], REGISTER)
    links = _by_nik(crosswalk, "permohonan:A4")
    assert links[RINA].status is LinkStatus.SUGGESTED
    assert "family card" in (links[RINA].evidence or "")
    assert links[CARD].status is LinkStatus.CONFLICTED


def test_a_transposed_nik_that_breaks_the_rules_still_suggests_its_owner() -> None:
    # Digits 3 and 4 swapped: province 37 does not exist, so the NIK itself is invalid.
    swapped = BUDI[:2] + BUDI[3] + BUDI[2] + BUDI[4:]
    crosswalk = link([_apk("A5", swapped, "Muhamad Budi Santoso")], REGISTER)
    links = _by_nik(crosswalk, "permohonan:A5")
    assert list(links) == [BUDI] and links[BUDI].status is LinkStatus.SUGGESTED
    assert {Rule.INVALID_IDENTIFIER, Rule.NIK_MISTYPED} <= _rules(crosswalk, "permohonan:A5")


def test_a_name_written_otherwise_keeps_the_link_certain() -> None:
    for written in ("H. M. Budi Santoso, S.Pd.", "Mochammad Budi Santoso bin Ahmad"):
        crosswalk = link([_apk("A6", BUDI, written)], REGISTER)
        (only,) = _by_nik(crosswalk, "permohonan:A6").values()
        assert (only.nik, only.status, only.confidence) == (BUDI, LinkStatus.CERTAIN, 1.0)
        assert crosswalk.findings == []


def test_a_walk_in_with_the_phone_of_the_dead_is_matched_to_no_one() -> None:
    register = Register(REGISTER.people, REGISTER.cards, deaths={BUDI: date(2025, 3, 1)})
    walk_in = Sighting(
        Source.ANTRIAN,
        "tiket:9",
        ByPhoneOnly("0812-3456-7890"),
        (Held(K.QUEUE_TICKET, "9"), Held(K.PHONE, "0812-3456-7890")),
    )
    crosswalk = link([_apk("A7", BUDI, "BUDI SANTOSO MUHAMMAD"), walk_in], register)
    assert [x for x in crosswalk.links if x.record == "tiket:9"] == []
    assert _rules(crosswalk, "tiket:9") == {Rule.PHONE_OF_DECEASED}


def test_a_parent_who_left_the_card_is_still_the_parent_filed_under_it() -> None:
    # Siti moved to a new card after the application; SIAK lists her among those who left.
    form = Sighting(
        Source.PSB,
        "pendaftar:SD-2026-000001",
        ThroughFamilyCard(CARD, "Siti Nur Aini"),
        (Held(K.PHONE, "(0813) 1111-2222"),),
        "Siti Nur Aini",
    )
    (parent,) = link([form], REGISTER).links
    assert (parent.nik, parent.value, parent.status) == (SITI, "081311112222", LinkStatus.CERTAIN)


def test_near_misses_are_every_substitution_and_adjacent_transposition() -> None:
    misses = dict(near_misses(BUDI))
    swaps = sum(BUDI[i] != BUDI[i + 1] for i in range(15))
    assert len(misses) == 16 * 9 + swaps
    assert BUDI not in misses
    assert all(sum(a != b for a, b in zip(m, BUDI, strict=True)) in (1, 2) for m in misses)
