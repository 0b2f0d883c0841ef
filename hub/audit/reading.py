"""A citizen's access log as it is read: one page of rows and the summary by who and why.

The page is cut by ``seq`` (the table's order across writers), so a citizen can walk
back through every row however many a busy partner adds on top; the summary folds the
rows by (client, purpose), so ten thousand repeats of one partner make one line beside
every other agency's. Both come from one statement over ``disclosures_by_nik``
(``nik, seq DESC``): the page as a range scan from its cursor, the summary as the scan
of that citizen's rows, pre-grouped by the server so only the distinct (client,
purpose, sources, fields) combinations cross the wire.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# A cursor past the newest row: bigint's largest value (no ``seq`` reaches it).
NEWEST = 2**63 - 1

ACCESS_READ = """
SELECT n.nik, d.seq, d.at, d.request_id, d.client_id, d.subject, d.purpose, d.consent_id,
       d.sources, d.fields, NULL::bigint AS reads, NULL::timestamptz AS first_at
FROM unnest($1::text[]) AS n(nik)
CROSS JOIN LATERAL (
    SELECT * FROM disclosures d
    WHERE d.nik = n.nik AND d.seq < $3 ORDER BY d.seq DESC LIMIT $2
) d
UNION ALL
SELECT d.nik, NULL, max(d.at), NULL, d.client_id, NULL, d.purpose, NULL,
       d.sources, d.fields, count(*), min(d.at)
FROM disclosures d
WHERE $4::boolean AND d.nik = ANY($1::text[])
GROUP BY d.nik, d.client_id, d.purpose, d.sources, d.fields
"""


@dataclass(frozen=True, slots=True)
class DisclosureEntry:
    """One line of a citizen's access log: who saw their data, when and why."""

    seq: int
    at: datetime
    request_id: str
    client_id: str | None
    subject: str | None
    purpose: str | None
    sources: tuple[str, ...]
    fields: tuple[str, ...]
    consent_id: str | None = None


@dataclass(slots=True)
class DisclosureGroup:
    """Every disclosure of one citizen to one client for one purpose, folded into a line."""

    client_id: str | None
    purpose: str | None
    reads: int
    first_at: datetime
    last_at: datetime
    sources: set[str] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)


@dataclass(slots=True)
class AccessRead:
    """What one read found for one citizen: ``entries`` newest first (one more than the
    page when there are older rows) and, when asked, ``groups`` newest last-read first."""

    entries: list[DisclosureEntry] = field(default_factory=list)
    groups: list[DisclosureGroup] | None = None


def fold(records: Sequence[Any], wanted: Sequence[str], summary: bool) -> dict[str, AccessRead]:
    """The statement's rows, by NIK: the page's rows and the (client, purpose) lines."""
    result = {nik: AccessRead(groups=[] if summary else None) for nik in wanted}
    groups: dict[tuple[str, str | None, str | None], DisclosureGroup] = {}
    for r in records:
        read = result[r["nik"]]
        if r["seq"] is not None:
            read.entries.append(
                DisclosureEntry(
                    seq=r["seq"],
                    at=r["at"],
                    request_id=r["request_id"],
                    client_id=r["client_id"],
                    subject=r["subject"],
                    purpose=r["purpose"],
                    sources=tuple(r["sources"]),
                    fields=tuple(r["fields"]),
                    consent_id=r["consent_id"],
                )
            )
            continue
        key = (r["nik"], r["client_id"], r["purpose"])
        group = groups.get(key)
        if group is None:
            group = groups[key] = DisclosureGroup(
                r["client_id"], r["purpose"], 0, r["first_at"], r["at"]
            )
            assert read.groups is not None
            read.groups.append(group)
        group.reads += r["reads"]
        group.first_at = min(group.first_at, r["first_at"])
        group.last_at = max(group.last_at, r["at"])
        group.sources.update(r["sources"])
        group.fields.update(r["fields"])
    for read in result.values():
        read.entries.sort(key=lambda e: e.seq, reverse=True)
        if read.groups is not None:
            read.groups.sort(key=lambda g: g.last_at, reverse=True)
    return result
