"""The chain's canonical encoding: every field counts, and no two rows encode alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from hub.audit.chain import GENESIS, row_hash

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
