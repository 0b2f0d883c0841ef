"""Opaque citizen ids: stable per caller, different across callers, unforgeable."""

from __future__ import annotations

import secrets

import pytest

from identity.opaque import CitizenIds

NIK = "3671014112850003"


@pytest.fixture
def ids() -> CitizenIds:
    return CitizenIds(secrets.token_bytes(64))


def test_an_id_is_stable_for_its_caller_and_opens_back_to_the_nik(ids: CitizenIds) -> None:
    first = ids.seal(NIK, "citizen:a")
    assert first == ids.seal(NIK, "citizen:a")
    assert NIK not in first and NIK[-4:] not in first
    assert ids.open(first, "citizen:a") == NIK


def test_another_caller_sees_another_id_and_cannot_open_this_one(ids: CitizenIds) -> None:
    mine = ids.seal(NIK, "citizen:a")
    assert ids.seal(NIK, "client:b") != mine
    assert ids.open(mine, "client:b") is None


@pytest.mark.parametrize("forged", ["", "c_", "c_AAAA", "x_" + "A" * 43, "c_" + "A" * 43, "c_!!"])
def test_a_forged_or_mangled_id_opens_to_nothing(ids: CitizenIds, forged: str) -> None:
    assert ids.open(forged, "citizen:a") is None


def test_another_key_cannot_open_an_id(ids: CitizenIds) -> None:
    other = CitizenIds(secrets.token_bytes(64))
    assert other.open(ids.seal(NIK, "citizen:a"), "citizen:a") is None
