"""The realistic mess: planted in the synthetic city's rows, each class counted exactly,
the truth kept beside them, the showcase families and every other row untouched."""

from __future__ import annotations

import random
import re

import pytest

from connectors.base import Source
from connectors.planting import Planted, _move
from connectors.seeding import Generated, generate
from connectors.truth import CLEAN, NIK_RECORDS

CITIZENS, SEED = 6000, 11
_NOT_DIGITS = re.compile(r"\D")


@pytest.fixture(scope="module")
def realistic() -> Generated:
    return generate(CITIZENS, SEED, realistic=True)


@pytest.fixture(scope="module")
def legacy() -> Generated:
    return generate(CITIZENS, SEED)


def test_each_planted_class_is_counted_exactly_in_the_truth(realistic: Generated) -> None:
    truth = realistic.truth.counts()
    planted = {k: n for k, n in realistic.planted.counts.items() if k[0] is not Source.SIAK}
    for (source, mess), n in planted.items():
        # A deceased walk-in's ticket can also have been one of the records planted otherwise.
        assert truth.get((source, mess), 0) == n, (source, mess)
    classes = {mess for _, mess in planted}
    assert {"nik_digit_typo", "nik_transposed", "kk_as_nik", "name_variant"} <= classes
    assert {"parent_nik_in_child", "parent_name_variant", "registered_twice"} <= classes
    assert {"phone_format", "birth_date_typo", "walk_in_phone_of_deceased"} <= classes


def test_the_register_holds_the_deaths_card_changes_and_second_registrations(
    realistic: Generated,
) -> None:
    siak = realistic.produced[Source.SIAK].tables
    assert len(siak["kematian"].rows) == len(realistic.planted.deaths) > 0
    assert len(siak["riwayat_kk"].rows) == len(realistic.planted.moves) > 0
    registered = {row[0] for row in siak["penduduk"].rows}
    assert len(siak["penduduk"].rows) == CITIZENS + len(realistic.planted.duplicates)
    assert set(realistic.planted.duplicates.values()) <= registered
    assert realistic.truth.duplicates == sorted(realistic.planted.duplicates.items())


def test_a_mistyped_nik_differs_from_the_true_one_as_its_class_says(realistic: Generated) -> None:
    typed = _typed_niks(realistic)
    people = {p.nik: p for p in realistic.city.people}
    for (source, record, role), (niks, mess) in realistic.truth.records.items():
        if role != "person" or (source, record) not in typed:
            continue
        nik, stored = niks[0], typed[source, record]
        assert nik is not None
        if mess == "nik_digit_typo":
            assert sum(a != b for a, b in zip(nik, stored, strict=True)) == 1
        elif mess == "nik_transposed":
            assert sorted(nik) == sorted(stored) and nik != stored
        elif mess == "kk_as_nik":
            assert stored == people[nik].kk
        elif mess == "registered_twice":
            assert stored == realistic.planted.duplicates[nik] == niks[1]


def test_the_showcase_families_stay_clean(realistic: Generated) -> None:
    showcase = {m.nik for f in realistic.city.showcase for m in f.members}
    for (_, _, _), (niks, mess) in realistic.truth.records.items():
        if showcase & {n for n in niks if n}:
            assert mess in (CLEAN, "nik_with_separators", "phone_reformatted", "walk_in")
    dead = {nik for nik, _ in realistic.planted.deaths}
    assert not dead & showcase
    assert [m.name for f in realistic.city.showcase for m in f.members] == [
        m.name for f in generate(60, SEED).city.showcase for m in f.members
    ]


def test_the_rows_not_planted_are_the_seeders_own(realistic: Generated, legacy: Generated) -> None:
    before, after = _typed_niks(legacy), _typed_niks(realistic)
    assert before.keys() == after.keys()
    planted = {
        (s, r)
        for (s, r, _), (_, mess) in realistic.truth.records.items()
        if mess in ("nik_digit_typo", "nik_transposed", "kk_as_nik", "parent_nik_in_child")
        or mess == "registered_twice"
    }
    changed = {key for key in before if before[key] != after[key]}
    assert changed == planted and planted


def _typed_niks(made: Generated) -> dict[tuple[Source, str], str]:
    out: dict[tuple[Source, str], str] = {}
    for source, table, key, prefix, nik_column, _ in NIK_RECORDS:
        rows = made.produced[source].tables[table]
        k, n = rows.columns.index(key), rows.columns.index(nik_column)
        for row in rows.rows:
            if row[n] and str(row[n]).strip():
                out[source, f"{prefix}{row[k]}"] = _NOT_DIGITS.sub("", str(row[n]))
    return out


def test_new_family_cards_stay_sixteen_digits_however_many_are_planted() -> None:
    """A city of millions plants over a thousand new cards: their numbers must still fit
    SIAK's no_kk (16 characters), each one unique."""
    generated = generate(citizens=200, seed=5)
    assert generated.city is not None
    parent = generated.city.families[0].head
    planted, rng = Planted(), random.Random(1)
    cards = [_move(rng, None, parent, planted) for _ in range(2500)]
    assert {len(card) for card in cards} == {16} and all(card.isdigit() for card in cards)
    assert len(set(cards)) == len(cards)
