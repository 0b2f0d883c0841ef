"""The chains' canonical encodings (v1, v2): every field counts, and no two rows encode alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from hub.audit.chain import GENESIS, row_hash, row_hash_v2, stored_row_hash

AT = datetime(2024, 7, 1, 8, 30, 15, 123456, tzinfo=UTC)
ROW: dict[str, Any] = {
    "prev_hash": GENESIS,
    "at": AT,
    "request_id": "req-1",
    "client_id": "sekolah-01",
    "subject": "client:sekolah-01",
    "purpose": "verifikasi-ppdb",
    "nik": "3671014107900001",
    "sources": ["psb", "siak"],
    "fields": ["Citizen.kk", "Citizen.name"],
}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("prev_hash", b"\x01" * 32),
        ("at", AT + timedelta(microseconds=1)),
        ("request_id", "req-2"),
        ("client_id", None),
        ("subject", ""),
        ("purpose", None),
        ("nik", "3671014107900002"),
        ("sources", ["psb"]),
        ("fields", ["Citizen.kk", "Citizen.name", ""]),
    ],
)
def test_each_field_changes_the_hash(key: str, value: object) -> None:
    assert row_hash(**{**ROW, key: value}) != row_hash(**ROW)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"purpose": None}, {"purpose": ""}),
        ({"sources": ["ab"]}, {"sources": ["a", "b"]}),
        ({"sources": ["a"], "fields": []}, {"sources": [], "fields": ["a"]}),
        ({"client_id": "ab", "subject": "c"}, {"client_id": "a", "subject": "bc"}),
    ],
)
def test_different_rows_never_encode_alike(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert row_hash(**{**ROW, **a}) != row_hash(**{**ROW, **b})


def test_the_same_instant_in_another_zone_hashes_the_same() -> None:
    wib = AT.astimezone(timezone(timedelta(hours=7)))
    assert row_hash(**{**ROW, "at": wib}) == row_hash(**ROW)


ROW_V2: dict[str, Any] = {
    **ROW,
    "writer": "hub-1/4242/0a1b2c3d",
    "consent_id": "consent-1",
}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("writer", "hub-1/4242/0a1b2c3e"),
        ("consent_id", None),
        ("consent_id", "consent-2"),
        ("purpose", None),
        ("at", AT + timedelta(microseconds=1)),
        ("prev_hash", b"\x01" * 32),
    ],
)
def test_each_field_changes_the_v2_hash_the_consent_and_the_writer_included(
    key: str, value: object
) -> None:
    assert row_hash_v2(**{**ROW_V2, key: value}) != row_hash_v2(**ROW_V2)


def test_the_two_encodings_never_agree() -> None:
    v1 = {k: v for k, v in ROW_V2.items() if k not in ("writer", "consent_id")}
    assert row_hash(**v1) != row_hash_v2(**{**ROW_V2, "consent_id": None})


def test_a_stored_row_is_hashed_by_its_chains_encoding() -> None:
    v1 = {**ROW, "writer": None, "consent_id": None}
    assert stored_row_hash(v1) == row_hash(**ROW)  # type: ignore[arg-type]
    assert stored_row_hash(ROW_V2) == row_hash_v2(**ROW_V2)  # type: ignore[arg-type]
