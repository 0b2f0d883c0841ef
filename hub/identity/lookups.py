"""The graph's batch reads of the crosswalk: :mod:`connectors.crosswalk.reads`, named here
for the hub's commands and tests that read the crosswalk as the graph does."""

from __future__ import annotations

from connectors.crosswalk.reads import (
    StoredLink,
    links_by_identifier,
    links_by_nik,
    matched_tickets_by_nik,
)

__all__ = ["StoredLink", "links_by_identifier", "links_by_nik", "matched_tickets_by_nik"]
