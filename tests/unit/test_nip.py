"""NIP rules: what it encodes reads back; printed and typed forms parse; each broken rule named."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from identity.errors import InvalidIdentifier
from identity.nip import NIP, InvalidNIP, encode

births = st.dates(min_value=date(1955, 1, 1), max_value=date(2006, 12, 31))
sexes = st.sampled_from(["M", "F"])
serials = st.integers(min_value=1, max_value=999)
years_after = st.integers(min_value=18, max_value=45)
months = st.integers(min_value=1, max_value=12)


@given(births, years_after, months, sexes, serials, st.booleans())
def test_encoded_nip_round_trips_with_what_it_encodes(
    born: date, after: int, month: int, sex: str, serial: int, pppk: bool
) -> None:
    start = date(born.year + after, month, 1)
    raw = encode(born, start, sex, serial, pppk=pppk)  # type: ignore[arg-type]
    nip = NIP.parse(raw)
    assert str(nip) == raw and len(raw) == 18
    assert nip.birth_date == born
    assert nip.sex == sex
    assert nip.is_pppk is pppk
    assert nip.start_year == start.year
    assert nip.cpns_start == (None if pppk else start)


@given(births, years_after, months, sexes, serials, st.sampled_from([" ", ".", "-", ""]))
def test_printed_and_typed_forms_parse(
    born: date, after: int, month: int, sex: str, serial: int, sep: str
) -> None:
    raw = encode(born, date(born.year + after, month, 1), sex, serial)  # type: ignore[arg-type]
    nip = NIP.parse(raw)
    assert NIP.parse(nip.printed()) == nip
    assert NIP.parse(sep.join((raw[:8], raw[8:14], raw[14], raw[15:]))) == nip
    assert nip.printed() == f"{raw[:8]} {raw[8:14]} {raw[14]} {raw[15:]}"


@given(st.from_regex(r"[0-9]{1,17}|[0-9]{19,24}", fullmatch=True))
def test_a_wrong_number_of_digits_breaks_length(raw: str) -> None:
    with pytest.raises(InvalidNIP) as caught:
        NIP.parse(raw)
    assert caught.value.rule == "length"


# Separators are whitespace (any, as str.isspace says: "\x1f" too), dots and dashes.
@given(
    st.text(min_size=1).filter(
        lambda t: any(not (c.isdigit() or c in ".-" or c.isspace()) for c in t)
    )
)
def test_anything_but_digits_and_separators_breaks_digits(raw: str) -> None:
    with pytest.raises(InvalidNIP) as caught:
        NIP.parse("19800101200501" + raw)
    assert caught.value.rule == "digits"


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("198013012005011001", "birth_date"),  # month 13
        ("198002302005011001", "birth_date"),  # 30 February
        ("198001012005131001", "start"),  # month 13, not the PPPK 21
        ("198001011990011001", "start"),  # a CPNS at ten
        ("198001012005013001", "sex"),
        ("198001012005011000", "serial"),
    ],
)
def test_each_broken_rule_is_named(raw: str, rule: str) -> None:
    with pytest.raises(InvalidNIP) as caught:
        NIP.parse(raw)
    assert caught.value.rule == rule
    assert isinstance(caught.value, InvalidIdentifier) and str(caught.value)


def test_pppk_number_has_no_cpns_start() -> None:
    nip = NIP.parse("19900315 202321 2 004")
    assert nip.is_pppk and nip.cpns_start is None and nip.start_year == 2023
    assert nip.sex == "F" and nip.birth_date == date(1990, 3, 15)
