"""Tests that write (bookings, requests) run against a copy of the test city of their own
(``writable_hub`` in tests/e2e/conftest.py), so the seeded counts other tests check stay
true: here ``hub_url``, ``hub_settings`` and ``city_dsns`` are that copy's."""

from __future__ import annotations

import pytest

from connectors.base import Source
from hub.settings import Settings


@pytest.fixture(scope="session")
def hub_url(writable_hub: tuple[str, Settings]) -> str:
    return writable_hub[0]


@pytest.fixture(scope="session")
def hub_settings(writable_hub: tuple[str, Settings]) -> Settings:
    return writable_hub[1]


@pytest.fixture(scope="session")
def city_dsns(writable_dsns: dict[Source | str, str]) -> dict[Source | str, str]:
    return writable_dsns
