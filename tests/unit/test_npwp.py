"""NPWP rules: the old 15 digits, the new 16, and an individual's NIK; each broken rule named."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from identity.nik import encode
from identity.npwp import NPWP, InvalidNPWP, NPWPForm

# The old layout: taxpayer type, serial (never 000000), check digit, tax office, branch.
old_numbers = st.from_regex(r"0[1-9][0-9]{5}[1-9][0-9]{7}", fullmatch=True)
individuals = st.builds(
    lambda born, sex, serial: encode("367101", born, sex, serial),
    st.dates(min_value=date(1940, 1, 1), max_value=date(2005, 12, 31)),
    st.sampled_from(["M", "F"]),
    st.integers(min_value=1, max_value=9999),
)


def _printed(d: str) -> str:
    return f"{d[:2]}.{d[2:5]}.{d[5:8]}.{d[8]}-{d[9:12]}.{d[12:]}"


@given(old_numbers)
def test_old_and_new_forms_of_one_number_are_one_value(digits: str) -> None:
    old = NPWP.parse(_printed(digits))
    new = NPWP.parse("0" + digits)
    assert old.form is NPWPForm.OLD and new.form is NPWPForm.NEW
    assert str(old) == str(new) == "0" + digits
    assert NPWP.parse(digits) == old
    assert old.formatted() == _printed(digits) == new.formatted()
    assert old.tax_office == digits[9:12] and old.branch == digits[12:]
    assert old.nik is None


@given(individuals)
def test_an_individuals_npwp_is_their_nik(nik: str) -> None:
    npwp = NPWP.parse(nik)
    assert npwp.form is NPWPForm.NIK
    assert str(npwp) == nik and npwp.nik is not None and str(npwp.nik) == nik
    assert npwp.tax_office is None and npwp.formatted() == nik


@given(st.from_regex(r"[0-9]{1,14}|[0-9]{17,20}", fullmatch=True))
def test_a_wrong_number_of_digits_breaks_length(raw: str) -> None:
    with pytest.raises(InvalidNPWP) as caught:
        NPWP.parse(raw)
    assert caught.value.rule == "length"


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("01.234.567.8-901.00O", "digits"),
        ("01.000.000.8-901.000", "serial"),
        ("9971011205850003", "nik"),  # 16 digits, not 0 + old: must be a NIK, and is not
        ("3671013213850003", "nik"),  # month 13
    ],
)
def test_each_broken_rule_is_named(raw: str, rule: str) -> None:
    with pytest.raises(InvalidNPWP) as caught:
        NPWP.parse(raw)
    assert caught.value.rule == rule
