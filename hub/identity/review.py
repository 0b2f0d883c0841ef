"""The data steward's review queue: :mod:`connectors.crosswalk.review`, which the graph
(``identityReviewQueue``) and ``citizen-hub identity review`` share, named here for
the hub's commands."""

from __future__ import annotations

from connectors.crosswalk.review import (
    ACCEPTED,
    MIN_PREFIX,
    REJECTED,
    Pending,
    ReviewError,
    decide,
    queue,
    show,
)

__all__ = [
    "ACCEPTED",
    "MIN_PREFIX",
    "REJECTED",
    "Pending",
    "ReviewError",
    "decide",
    "queue",
    "show",
]
