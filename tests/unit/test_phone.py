"""Phone rules: every form people and legacy rows write parses to one 08… number;
each broken rule is named."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from connectors.mess import EVERY_PHONE_STYLE, PhoneStyle
from identity.phone import InvalidPhone, Phone, canonical_phone

# Canonical mobile numbers: 08, then 7 to 12 more digits (9 to 14 in all).
phones = st.from_regex(r"08[0-9]{7,12}", fullmatch=True)
separators = st.sampled_from(["", " ", "-", "."])
# How the number starts when typed: trunk 0, country code, +62, or the 0 left off.
leads = st.sampled_from(["0", "62", "+62", "+62 ", "+62-", ""])


def _typed(phone: str, lead: str, gaps: list[str]) -> str:
    """``phone`` as someone types it: another lead, separators anywhere between digits."""
    rest = phone[1:]
    return lead + "".join(d + sep for d, sep in zip(rest, gaps, strict=False)) + rest[len(gaps) :]


@given(phones, leads, st.lists(separators, max_size=14))
def test_every_typed_form_parses_back_to_the_canonical_number(
    phone: str, lead: str, gaps: list[str]
) -> None:
    typed = _typed(phone, lead, gaps)
    parsed = Phone.parse(typed)
    assert str(parsed) == phone
    assert parsed == Phone.parse(phone)
    assert canonical_phone(typed) == phone


@given(phones, st.sampled_from(EVERY_PHONE_STYLE))
def test_what_the_seeders_write_reads_back(phone: str, style: PhoneStyle) -> None:
    assert canonical_phone(style(phone)) == phone


@pytest.mark.parametrize(
    "raw",
    ["081234567890", "6281234567890", "+62 812-3456-7890", "0812.3456.7890", " 81234567890 "],
)
def test_the_forms_in_legacy_rows(raw: str) -> None:
    assert str(Phone.parse(raw)) == "081234567890"


@given(phones, leads, st.integers(min_value=0), st.sampled_from("abcxO/()#*,"))
def test_a_character_that_is_no_digit_nor_separator_breaks_digits(
    phone: str, lead: str, at: int, bad: str
) -> None:
    typed = _typed(phone, lead, [])
    at %= len(typed) + 1
    with pytest.raises(InvalidPhone) as caught:
        Phone.parse(typed[:at] + bad + typed[at:])
    assert caught.value.rule == "digits"


@pytest.mark.parametrize("raw", ["", "   ", "+", "0812 3456 7890 ext"])
def test_nothing_to_parse_breaks_digits(raw: str) -> None:
    with pytest.raises(InvalidPhone) as caught:
        Phone.parse(raw)
    assert caught.value.rule == "digits"


@given(st.from_regex(r"[1-9][0-9]{0,2}", fullmatch=True), phones)
def test_a_foreign_country_code_breaks_country(code: str, phone: str) -> None:
    assume(not (code + phone[1:]).startswith("62"))
    with pytest.raises(InvalidPhone) as caught:
        Phone.parse(f"+{code} {phone[1:]}")
    assert caught.value.rule == "country"


@given(st.from_regex(r"08[0-9]{0,6}|08[0-9]{13,20}", fullmatch=True), leads)
def test_too_few_or_too_many_digits_breaks_length(phone: str, lead: str) -> None:
    with pytest.raises(InvalidPhone) as caught:
        Phone.parse(_typed(phone, lead, []))
    assert caught.value.rule == "length"


@given(st.from_regex(r"0[1-79][0-9]{7,12}", fullmatch=True), st.sampled_from(["0", "62", "+62"]))
def test_a_landline_or_unknown_prefix_breaks_prefix(phone: str, lead: str) -> None:
    with pytest.raises(InvalidPhone) as caught:
        Phone.parse(_typed(phone, lead, []))
    assert caught.value.rule == "prefix"


def test_invalid_phone_is_a_value_error_that_says_what_to_fix() -> None:
    with pytest.raises(ValueError, match="08") as caught:
        Phone.parse("021-5551234")
    assert isinstance(caught.value, InvalidPhone)
    assert caught.value.rule == "prefix"


@given(phones)
def test_masked_keeps_the_operator_prefix_and_last_four_only(phone: str) -> None:
    masked = Phone.parse(phone).masked()
    assert len(masked) == len(phone)
    assert masked[:4] == phone[:4]
    assert masked[-4:] == phone[-4:]
    assert set(masked[4:-4]) == {"*"}


def test_masked_example() -> None:
    assert Phone.parse("+62 812-3456-5678").masked() == "0812****5678"


@pytest.mark.parametrize("raw", [None, "", "not a phone", "021-5551234", "+1 202 555 0100", "0812"])
def test_canonical_phone_is_none_for_what_does_not_parse(raw: str | None) -> None:
    assert canonical_phone(raw) is None


@pytest.mark.parametrize(
    "written",
    [
        "(0812) 3456-7890",
        "+62 0812-3456-7890",
        "+62 (0)812 3456 7890",
        "+62 (812) 3456-7890",
        "62 0812 3456 7890",
    ],
)
def test_brackets_and_a_kept_trunk_zero_are_read_too(written: str) -> None:
    assert str(Phone.parse(written)) == "081234567890"


@pytest.mark.parametrize("written", ["(021) 555-1234", "+1 (202) 555-0100", "(0812 3456-7890"])
def test_landlines_foreign_numbers_and_stray_brackets_are_still_refused(written: str) -> None:
    with pytest.raises(InvalidPhone):
        Phone.parse(written)
