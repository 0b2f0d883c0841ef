"""The graph's batch reads of the crosswalk: one statement per call, whatever the number of keys.

They take the hub's store as a :class:`~connectors.base.SourceDB` (pseudo-source
``HUB``), so the federation reads it through the same guard and statement
counting as the products.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from connectors.base import Source
from identity.kinds import IdentifierKind, LinkMethod, LinkStatus
from identity.links import Link

if TYPE_CHECKING:
    import asyncpg

    from connectors.base import SourceDB

_COLUMNS = """
SELECT l.kind, l.value, l.system, l.record, l.nik, l.method, l.confidence, l.via,
       l.in_register, CASE WHEN d.link_key IS NULL THEN l.status ELSE 'CERTAIN' END AS status,
       l.evidence, l.first_seen, s.finished_at AS last_seen
  FROM identity_links l
  LEFT JOIN LATERAL (SELECT finished_at FROM identity_syncs ORDER BY id DESC LIMIT 1) s ON true
  -- A link a steward accepted, as it was when accepted, is served as certain.
  LEFT JOIN identity_decisions d ON d.link_key = l.link_key AND d.fingerprint = l.fingerprint
   AND d.decision = 'ACCEPTED'
"""
_BY_NIK = (
    _COLUMNS
    + """
 WHERE l.nik = ANY($1::text[]) AND (l.status = 'CERTAIN' OR d.link_key IS NOT NULL)
 ORDER BY l.nik, l.kind, l.value, l.system, l.record
"""
)
_MATCHED_TICKETS = (
    _COLUMNS
    + """
 WHERE l.nik = ANY($1::text[]) AND l.kind = 'QUEUE_TICKET' AND l.method = 'MATCHED'
   AND (l.status = 'CERTAIN' OR d.link_key IS NOT NULL)
 ORDER BY l.nik, l.value
"""
)
_BY_IDENTIFIER = (
    _COLUMNS
    + """
  JOIN unnest($1::text[], $2::text[]) AS given (kind, value)
    ON l.kind = given.kind AND l.value = given.value
 WHERE l.system = $3
 ORDER BY l.confidence DESC, l.nik, l.record
"""
)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredLink(Link):
    """A link as the crosswalk holds it, with its times.

    ``linked_at``: the sync that first made it; ``last_seen``: the latest sync, which
    confirmed every link still stored.
    """

    linked_at: datetime
    last_seen: datetime | None


async def links_by_nik(db: SourceDB, niks: Sequence[str]) -> dict[str, list[StoredLink]]:
    """Every CERTAIN link of each NIK (or accepted by a steward), by kind and value; NIKs
    with none are absent.

    A CONFLICTED or SUGGESTED link is not the citizen's until a steward says so: it
    shows only among the candidates of ``resolveIdentity``, with its confidence.
    """
    return _grouped(await db.fetch(_BY_NIK, list(niks)))


async def matched_tickets_by_nik(db: SourceDB, niks: Sequence[str]) -> dict[str, list[StoredLink]]:
    """The queue tickets matched to each NIK by phone (walk-ins without a NIK)."""
    return _grouped(await db.fetch(_MATCHED_TICKETS, list(niks)))


async def links_by_identifier(
    db: SourceDB, system: Source, identifiers: Sequence[tuple[IdentifierKind, str]]
) -> list[StoredLink]:
    """The links of ``system`` for any of the (kind, canonical value) pairs, surest first."""
    kinds = [k.value for k, _ in identifiers]
    values = [v for _, v in identifiers]
    return [_link(row) for row in await db.fetch(_BY_IDENTIFIER, kinds, values, system.value)]


def _grouped(rows: list[asyncpg.Record]) -> dict[str, list[StoredLink]]:
    out: dict[str, list[StoredLink]] = {}
    for row in rows:
        out.setdefault(row["nik"], []).append(_link(row))
    return out


def _link(row: asyncpg.Record) -> StoredLink:
    return StoredLink(
        kind=IdentifierKind(row["kind"]),
        value=row["value"],
        system=Source(row["system"]),
        record=row["record"],
        nik=row["nik"],
        method=LinkMethod(row["method"]),
        confidence=round(row["confidence"], 3),
        via=row["via"],
        in_register=row["in_register"],
        status=LinkStatus(row["status"]),
        evidence=row["evidence"],
        linked_at=row["first_seen"],
        last_seen=row["last_seen"],
    )
