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
       l.evidence, l.first_seen, s.finished_at AS last_seen, d.link_key IS NOT NULL AS accepted
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
# Every link of each NIK, its status as served (accepted: CERTAIN), and the records a
# steward rejected for it (their links deleted; the decision names them): the graph's
# one statement to the crosswalk per level of citizens (:func:`crosswalk_by_nik`).
_EVERYTHING_BY_NIK = (
    _COLUMNS
    + """
 WHERE l.nik = ANY($1::text[])
UNION ALL
SELECT NULL, NULL, d.system, d.record, d.nik, NULL, NULL, NULL, NULL, 'REJECTED', NULL, NULL,
       NULL, false
  FROM identity_decisions d
 WHERE d.nik = ANY($1::text[]) AND d.decision = 'REJECTED' AND d.record IS NOT NULL
 ORDER BY nik, kind, value, system, record
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
    confirmed every link still stored; ``accepted``: a steward accepted it as it now is
    (its status is then served as CERTAIN, its confidence is still the linker's).
    """

    linked_at: datetime
    last_seen: datetime | None
    accepted: bool = False


async def links_by_nik(db: SourceDB, niks: Sequence[str]) -> dict[str, list[StoredLink]]:
    """Every CERTAIN link of each NIK (or accepted by a steward), by kind and value; NIKs
    with none are absent.

    A CONFLICTED or SUGGESTED link is not the citizen's until a steward says so: it
    shows only among the candidates of ``resolveIdentity``, with its confidence.
    """
    return _grouped(await db.fetch(_BY_NIK, list(niks)))


@dataclass(frozen=True, slots=True)
class Crosswalk:
    """What the crosswalk says of one NIK: the links served as the citizen's (CERTAIN,
    or accepted by a steward), the product records in doubt for this NIK, and those a
    steward accepted as this citizen's (the NIK typed on them may be another), as
    ``(system, record)`` pairs named as each connector's ``sightings`` names them."""

    links: tuple[StoredLink, ...] = ()
    doubts: frozenset[tuple[str, str]] = frozenset()
    accepted: frozenset[tuple[str, str]] = frozenset()


async def crosswalk_by_nik(db: SourceDB, niks: Sequence[str]) -> dict[str, Crosswalk]:
    """Each NIK's served links and records in doubt, in one statement; NIKs the crosswalk
    knows nothing of are absent.

    A record is in doubt for a NIK when a link between them is CONFLICTED or SUGGESTED
    and no steward accepted it (as it now is), or when a steward rejected it. The
    graph leaves such a record out of that citizen's product fields: the NIK typed on
    it may be a parent's, a typo landing on someone else, a family card number. A
    record a steward accepted for a NIK is that citizen's, whatever NIK was typed.
    """
    links: dict[str, list[StoredLink]] = {}
    doubts: dict[str, set[tuple[str, str]]] = {}
    accepted: dict[str, set[tuple[str, str]]] = {}
    for row in await db.fetch(_EVERYTHING_BY_NIK, list(niks)):
        nik, record = row["nik"], (row["system"], row["record"])
        if row["status"] == LinkStatus.CERTAIN.value:
            links.setdefault(nik, []).append(_link(row))
            # A phone on a record may be someone else's than the record (a parent's on a
            # child's application): accepting it says whose phone, not whose record.
            if row["accepted"] and row["kind"] != IdentifierKind.PHONE.value:
                accepted.setdefault(nik, set()).add(record)
        else:
            doubts.setdefault(nik, set()).add(record)
    return {
        nik: Crosswalk(
            tuple(links.get(nik, ())),
            frozenset(doubts.get(nik, ())),
            # In doubt through another of its links: not served, accepted or not.
            frozenset(accepted.get(nik, set()) - doubts.get(nik, set())),
        )
        for nik in links.keys() | doubts.keys()
    }


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
        accepted=row["accepted"],
    )
