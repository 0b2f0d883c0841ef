"""NIK rules: what generation produces always parses back; each broken rule is named."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from identity.nik import NIK, InvalidNIK, encode
from identity.regions import KECAMATAN, KOTA_TANGERANG

kecamatan = st.sampled_from(sorted(KECAMATAN))
births = st.dates(min_value=date(1927, 1, 1), max_value=date(2026, 10, 31))
sexes = st.sampled_from(["M", "F"])
serials = st.integers(min_value=1, max_value=9999)


@given(kecamatan, births, sexes, serials)
def test_encoded_nik_round_trips(kec: str, born: date, sex: str, serial: int) -> None:
    raw = encode(KOTA_TANGERANG + kec, born, sex, serial)  # type: ignore[arg-type]
    nik = NIK.parse(raw)
    assert str(nik) == raw
    assert nik.regency == "3671"
    assert nik.sex == sex
    assert nik.birth_date(today=date(2026, 11, 1)) == born
    day = int(raw[6:8])
    assert (41 <= day <= 71) if sex == "F" else (1 <= day <= 31)


@given(kecamatan, births, sexes, serials, st.sampled_from([" ", ".", "-"]))
def test_separators_are_accepted(kec: str, born: date, sex: str, serial: int, sep: str) -> None:
    raw = encode(KOTA_TANGERANG + kec, born, sex, serial)  # type: ignore[arg-type]
    messy = sep.join([raw[:4], raw[4:8], raw[8:12], raw[12:]])
    assert str(NIK.parse(messy)) == raw


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("367101120585000", "length"),
        ("36710112058500031", "length"),
        ("3671O11205850003", "digits"),
        ("3671\uff1011205850003", "digits"),  # a full-width 0: str.isdigit() would pass it
        ("9971011205850003", "region"),
        ("3699011205850003", "region"),
        ("3671001205850003", "region"),
        ("3671013213850003", "birth_date"),  # month 13
        ("3671017202850003", "birth_date"),  # 72 is no day, even for a woman
        ("3671013102850003", "birth_date"),  # 31 February
        ("3671011205850000", "serial"),
    ],
)
def test_each_broken_rule_is_named(raw: str, rule: str) -> None:
    with pytest.raises(InvalidNIK) as caught:
        NIK.parse(raw)
    assert caught.value.rule == rule


def test_masking_keeps_region_and_serial_tail() -> None:
    assert NIK.parse("3671014112850003").masked() == "3671************"
