"""Family cards, NISN and the products' record numbers: messy forms parse, broken rules named."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.base import Source
from identity.errors import InvalidIdentifier
from identity.kinds import HELD_BY, IdentifierKind, canonical
from identity.kk import KK, InvalidKK
from identity.nisn import NISN, InvalidNISN
from identity.regions import KECAMATAN

issued = st.dates(min_value=date(1990, 1, 1), max_value=date(2026, 10, 31))
kecamatan = st.sampled_from(sorted(KECAMATAN))
serials = st.integers(min_value=1, max_value=9999)


@given(kecamatan, issued, serials, st.sampled_from(["", " ", ".", "-"]))
def test_family_card_round_trips_with_region_and_issue_date(
    kec: str, on: date, serial: int, sep: str
) -> None:
    raw = f"3671{kec}{on:%d%m%y}{serial:04d}"
    card = KK.parse(sep.join((raw[:4], raw[4:8], raw[8:12], raw[12:])))
    assert str(card) == raw
    assert card.region == "3671" + kec
    assert card.issued_on(today=date(2026, 11, 1)) == on


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("367101010120", "length"),
        ("36710101012000O1", "digits"),
        ("9971010101200001", "region"),
        ("3671013201200001", "issue_date"),
        ("3671010101200000", "serial"),
    ],
)
def test_each_broken_family_card_rule_is_named(raw: str, rule: str) -> None:
    with pytest.raises(InvalidKK) as caught:
        KK.parse(raw)
    assert caught.value.rule == rule


@given(st.from_regex(r"[0-9]{10}", fullmatch=True).filter(lambda d: d != "0" * 10))
def test_nisn_is_ten_opaque_digits(digits: str) -> None:
    assert str(NISN.parse(f" {digits[:5]} {digits[5:]} ")) == digits


@pytest.mark.parametrize(
    ("raw", "rule"), [("123456789", "length"), ("12345678901", "length"), ("12345abcde", "digits")]
)
def test_each_broken_nisn_rule_is_named(raw: str, rule: str) -> None:
    with pytest.raises(InvalidNISN) as caught:
        NISN.parse(raw)
    assert caught.value.rule == rule


def test_placeholder_nisn_is_refused() -> None:
    with pytest.raises(InvalidNISN) as caught:
        NISN.parse("0000000000")
    assert caught.value.rule == "zero"


@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [
        (IdentifierKind.PSB_REGISTRATION, " smp-2026-000123 ", "SMP-2026-000123"),
        (IdentifierKind.CPNS_REGISTRATION, "2436710000123", "2436710000123"),
        (IdentifierKind.APK_REQUEST, "apk/05/2026/000123", "APK/05/2026/000123"),
        (IdentifierKind.QUEUE_TICKET, "100042", "100042"),
        (IdentifierKind.NPWP, "01.234.567.8-416.000", "0012345678416000"),
        (IdentifierKind.PHONE, "+62 812-3456-7890", "081234567890"),
        (IdentifierKind.NIP, "19800101 200501 1 001", "198001012005011001"),
    ],
)
def test_canonical_gives_the_stored_form(kind: IdentifierKind, raw: str, stored: str) -> None:
    assert canonical(kind, raw) == stored


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (IdentifierKind.PSB_REGISTRATION, "SMA-2026-000123"),
        (IdentifierKind.CPNS_REGISTRATION, "24367100001"),
        (IdentifierKind.APK_REQUEST, "APK/5/2026/123"),
        (IdentifierKind.QUEUE_TICKET, "A-042"),
    ],
)
def test_a_record_number_in_another_layout_breaks_format(kind: IdentifierKind, raw: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        canonical(kind, raw)
    assert caught.value.rule == "format"
    assert "looks like" in str(caught.value)


def test_every_product_says_which_identifiers_it_holds() -> None:
    assert set(HELD_BY) == set(Source)
    # SIPBD knows its holders by NIP only; everyone else can be asked by NIK too.
    assert HELD_BY[Source.SIPBD] == (IdentifierKind.NIP,)
    assert all(IdentifierKind.NIK in kinds for s, kinds in HELD_BY.items() if s is not Source.SIPBD)
