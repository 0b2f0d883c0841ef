"""Which of a NIK's product rows are served: those the crosswalk does not hold in doubt."""

from __future__ import annotations

from types import SimpleNamespace

from connectors.base import Source, Store
from connectors.crosswalk.reads import Crosswalk
from schema.doubts import with_accepted, without_doubts
from schema.errors import SourceUnavailable

PARENT, CHILD = "3671012210830001", "3671015202180001"


def _admission(number: str) -> SimpleNamespace:
    return SimpleNamespace(registration_number=number)


def test_a_record_in_doubt_for_the_nik_is_left_out_the_unknown_one_stays() -> None:
    found: dict[str, dict[str, list[object]]] = {
        "schoolAdmissions": {
            PARENT: [_admission("SD-2024-000003"), _admission("SD-2026-000999")],
            CHILD: [_admission("SD-2024-000003")],
        },
        "identifiers": {PARENT: ["a link"]},
    }
    crosswalk = {PARENT: Crosswalk(doubts=frozenset({("psb", "pendaftar:SD-2024-000003")}))}
    kept = without_doubts(found, crosswalk)
    # SD-2026-000999 is newer than the last sync: nothing says it is someone else's.
    assert [a.registration_number for a in kept["schoolAdmissions"][PARENT]] == ["SD-2026-000999"]
    # In doubt for the parent's NIK only: the same record under another NIK is kept.
    assert kept["schoolAdmissions"][CHILD] == found["schoolAdmissions"][CHILD]
    assert kept["identifiers"] is found["identifiers"]


def test_a_single_record_in_doubt_leaves_the_field_empty() -> None:
    servant = SimpleNamespace(nip="198503302010011001")
    found = {"employment": {PARENT: servant, CHILD: servant}}
    crosswalk = {PARENT: Crosswalk(doubts=frozenset({("sikda", "pegawai:198503302010011001")}))}
    kept = without_doubts(found, crosswalk)
    assert kept["employment"] == {CHILD: servant}


def test_another_products_record_of_the_same_name_is_not_a_doubt() -> None:
    ticket = SimpleNamespace(id="100234")
    found = {"queueTickets": {PARENT: [ticket]}}
    crosswalk = {PARENT: Crosswalk(doubts=frozenset({("apk", "tiket:100234")}))}
    assert without_doubts(found, crosswalk)["queueTickets"][PARENT] == [ticket]


def test_without_the_crosswalk_the_product_fields_fail_rather_than_serve() -> None:
    down = SourceUnavailable(Store.HUB, "connection refused")
    apk_down = SourceUnavailable(Source.APK, "timeout")
    found = {
        "schoolAdmissions": {PARENT: [_admission("SD-2024-000003")]},
        "districtRequests": apk_down,
        "identifiers": down,
    }
    kept = without_doubts(found, down)
    assert kept["schoolAdmissions"] is down
    assert kept["districtRequests"] is apk_down  # its own failure stays its own
    assert kept["identifiers"] is down


def test_an_accepted_record_joins_its_citizens_field_once() -> None:
    own, accepted = _admission("SD-2026-000999"), _admission("SD-2024-000003")
    found = {"schoolAdmissions": {CHILD: [own]}, "employment": {}}
    extra: dict[str, dict[str, list[object]] | Exception] = {
        "schoolAdmissions": {CHILD: [accepted, own], PARENT: [accepted]}
    }
    merged = with_accepted(found, extra)["schoolAdmissions"]
    assert merged == {CHILD: [own, accepted], PARENT: [accepted]}
    servant = SimpleNamespace(nip="198503302010011001")
    merged = with_accepted(found, {"employment": {CHILD: [servant]}})["employment"]
    assert merged == {CHILD: servant}


def test_when_the_accepted_records_cannot_be_read_the_field_fails() -> None:
    down = SourceUnavailable(Source.PSB, "timeout")
    found = {"schoolAdmissions": {CHILD: [_admission("SD-2026-000999")]}}
    assert with_accepted(found, {"schoolAdmissions": down})["schoolAdmissions"] is down
