"""identity evaluate's arithmetic: precision, recall, wrong-and-certain, findings, floors."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import Source
from connectors.truth import TrueRecord
from hub.identity.evaluate import FLOORS, FloorsError, check_floors, read_floors
from identity.evaluation import ALL, FindingRow, LinkRow, evaluate

A, B, C = "3671010101900001", "3671010101900002", "3671010101900003"
TRUTH = [
    TrueRecord(Source.APK, "permohonan:1", "person", A, "clean"),
    TrueRecord(Source.APK, "permohonan:2", "person", B, "nik_digit_typo"),
    TrueRecord(Source.PSB, "pendaftar:1", "person", C, "clean"),
    TrueRecord(Source.PSB, "pendaftar:1", "parent", A, "clean"),
    TrueRecord(Source.ANTRIAN, "tiket:1", "person", None, "walk_in_phone_of_deceased"),
]


def _link(
    system: str, record: str, kind: str, nik: str, method: str, conf: float, status: str
) -> LinkRow:
    return LinkRow(system, record, kind, nik, method, conf, status)


LINKS = [
    _link("apk", "permohonan:1", "PHONE", A, "EXACT", 1.0, "CERTAIN"),
    _link("apk", "permohonan:2", "PHONE", C, "EXACT", 0.3, "CONFLICTED"),  # the typo's holder
    _link("apk", "permohonan:2", "PHONE", B, "MATCHED", 0.7, "SUGGESTED"),  # whom it meant
    _link("psb", "pendaftar:1", "NISN", C, "EXACT", 1.0, "CERTAIN"),
    _link("psb", "pendaftar:1", "PHONE", A, "DERIVED", 0.9, "CERTAIN"),
    _link("antrian", "tiket:1", "PHONE", B, "MATCHED", 0.8, "CERTAIN"),  # the dead's phone
]


def test_precision_recall_and_wrong_links_served_as_certain() -> None:
    result = evaluate(TRUTH, LINKS, [FindingRow("apk", "nik_likely_mistyped", "permohonan:2")])
    assert result.precision["apk", "EXACT", "nik_digit_typo"].every.value == 0.0
    assert result.precision["apk", "EXACT", "nik_digit_typo"].certain.total == 0
    assert result.precision["apk", "MATCHED", "nik_digit_typo"].every.value == 1.0
    typo = result.recall["apk", "person", "nik_digit_typo"]
    assert (typo.found.value, typo.certain.value, typo.first.value) == (1.0, 0.0, 1.0)
    assert result.recall["psb", "parent", "clean"].certain.value == 1.0
    assert result.recall[ALL, "person", "clean"].found.total == 2
    # The walk-in with a dead man's recycled phone, matched to him as if sure: the defect.
    assert result.wrong_certain == {("antrian", "MATCHED", "walk_in_phone_of_deceased"): 1}
    assert result.findings["apk", "nik_digit_typo"].flagged == 1
    assert result.findings["apk", "clean"].flagged == 0


def test_duplicates_found_and_not_planted_are_both_counted() -> None:
    result = evaluate(TRUTH, [], [], duplicates_planted=[(A, B)], duplicates_found=[(B, A), (A, C)])
    assert (result.duplicates.right, result.duplicates.total, result.duplicate_false) == (1, 1, 1)


def test_walk_ins_the_records_cannot_tell_apart_are_measured_apart() -> None:
    """Two walk-ins by A: one served, one not (a minor on the giver's card may have come,
    the hub says): recall is 1 of 2, and 1 of 1 where the records can tell."""
    truth = [TrueRecord(Source.ANTRIAN, f"tiket:{n}", "person", A, "walk_in") for n in (1, 2)]
    links = [
        _link("antrian", "tiket:1", "PHONE", A, "MATCHED", 0.95, "CERTAIN"),
        _link("antrian", "tiket:2", "PHONE", A, "MATCHED", 0.78, "SUGGESTED"),
    ]
    result = evaluate(truth, links, [], undecided=frozenset({("antrian", "tiket:2")}))
    group = ("antrian", "person", "walk_in")
    assert result.recall[group].certain.value == 0.5
    assert (result.undecided[group], result.decidable[group].certain.value) == (1, 1.0)
    floors = {"recall_certain_decidable": {"* person walk_in": 0.98}}
    assert check_floors(result, floors) == []
    assert check_floors(evaluate(truth, links, []), floors)  # without: 0.5, below


def test_a_figure_below_its_floor_is_reported_and_one_with_nothing_to_measure_passes() -> None:
    result = evaluate(TRUTH, LINKS, [])
    floors = {
        "maximum": {"wrong_served_as_certain": 0},
        "recall_certain": {"apk person nik_digit_typo": 0.9, "cpns person clean": 1.0},
        "precision_served": {"* EXACT clean": 1.0},
    }
    breaches = {b.figure: (b.value, b.floor) for b in check_floors(result, floors)}
    assert breaches == {
        "maximum wrong_served_as_certain": (1.0, 0),
        "recall_certain apk person nik_digit_typo": (0.0, 0.9),
    }


def test_a_floor_that_names_no_figure_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(FloorsError, match="expected 'system method-or-role mess'"):
        check_floors(evaluate(TRUTH, LINKS, []), {"precision": {"apk EXACT": 1.0}})
    bad = tmp_path / "floors.toml"
    bad.write_text('[precision]\n"* EXACT clean" = "high"\n', encoding="utf-8")
    with pytest.raises(FloorsError, match=r"\[precision\] must map figures to numbers"):
        read_floors(bad)


def test_the_shipped_floors_parse_and_hold_the_zero_wrong_certain_target() -> None:
    floors = read_floors(FLOORS)
    assert floors["maximum"]["wrong_served_as_certain"] == 0
    check_floors(evaluate([], [], []), floors)  # every figure it names exists
