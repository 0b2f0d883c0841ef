"""The hub served over real HTTP on the seeded test city, as the e2e tests serve it."""

from __future__ import annotations

from tests.e2e.conftest import (  # noqa: F401  (fixtures, found by name)
    family,
    hub_settings,
    hub_url,
    other_family,
)
