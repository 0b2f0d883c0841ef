"""Which source answers which Citizen field, and with which batch read.

This table is the one place that ties the graph to the connectors: adding a
product field means adding a row here and a type in ``schema/<product>/``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from connectors import antrian, apk, cpns, lpse, psb, sikda
from connectors.antrian import reads as antrian_reads
from connectors.apk import reads as apk_reads
from connectors.base import Source, SourceDB, Store
from connectors.cpns import reads as cpns_reads
from connectors.crosswalk import reads as lookups
from connectors.lpse import reads as lpse_reads
from connectors.psb import reads as psb_reads
from connectors.sikda import reads as sikda_reads

BatchRead = Callable[[SourceDB, Sequence[str]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class ProductField:
    """A Citizen field answered by one source (or the hub's own store), keyed by NIK."""

    field: str  # the GraphQL name
    source: Source | Store
    read: BatchRead
    empty: Any  # what a citizen with no rows gets: [] for lists, None for one object


BY_NIK: tuple[ProductField, ...] = (
    ProductField("schoolAdmissions", psb.SOURCE, psb_reads.admissions_by_nik, ()),
    ProductField("civilServiceApplications", cpns.SOURCE, cpns_reads.applications_by_nik, ()),
    ProductField("employment", sikda.SOURCE, sikda_reads.civil_servants_by_nik, None),
    ProductField("procurementRoles", lpse.SOURCE, lpse_reads.roles_by_nik, ()),
    ProductField("districtRequests", apk.SOURCE, apk_reads.requests_by_nik, ()),
    ProductField("queueTickets", antrian.SOURCE, antrian_reads.tickets_by_nik, ()),
    # The identity crosswalk, in the hub's own database (identity sync builds it). The
    # federation reads it with the level's records in doubt instead, in one statement
    # (schema.level_reads: crosswalk_by_nik); links_by_nik reads the same links alone.
    ProductField("identifiers", Store.HUB, lookups.links_by_nik, ()),
)


# Which source each Citizen field comes from, for the disclosure log. Fields not
# listed (the profile, the family card) are SIAK's.
FIELD_SOURCES: dict[str, str] = {
    **{p.field: p.source.name for p in BY_NIK},
    "assetsHeld": Source.SIPBD.name,
}
