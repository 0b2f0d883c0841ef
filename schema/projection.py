"""What of each product an operation selects below its field, told to the connector's read.

A connector reads a product's nested parts (a civil servant's rank and position
histories, an admission's school choices, a vendor's tenders, a request's status
history) with subqueries or joins per row; an operation that selects none of them
gets the same rows without that work. The statement stays one per source per level.
"""

from __future__ import annotations

import functools

from schema.products import BatchRead, ProductField
from schema.selection import Plan

# Nested parts a connector reads only when the operation selects them below the
# product field: the batch read's keyword, and the fields that need what it reads.
_NESTED: dict[str, dict[str, tuple[str, ...]]] = {
    "employment": {"histories": ("rankHistory", "positionHistory")},
    "schoolAdmissions": {"choices": ("choices", "acceptedSchool")},
    "procurementRoles": {"tenders": ("tenders",)},
    "districtRequests": {"history": ("history",)},
}


def projected(product: ProductField, plan: Plan) -> BatchRead:
    """The product's batch read, told which of its nested parts the operation selects."""
    nested = _NESTED.get(product.field)
    if nested is None:
        return product.read
    below = plan.child(product.field)
    flags = {keyword: below.wants_any(names) for keyword, names in nested.items()}
    if all(flags.values()):
        return product.read
    return functools.partial(product.read, **flags)
