"""Product records in doubt are not served as the typed NIK holder's; records a steward
accepted for another NIK are served as that citizen's.

The products find a citizen's records by the NIK typed on them, and a typed NIK can be
someone else's: a parent's in a child's admission, one digit off, a family card number.
The crosswalk knows, per record, whether its link to that NIK is in doubt (CONFLICTED or
SUGGESTED and not accepted by a steward, or rejected by one:
:func:`connectors.crosswalk.reads.crosswalk_by_nik`, read in the same statement as the
level's links). Such a record is left out of that NIK's product field. A record the
crosswalk does not know (newer than its last sync, e.g. a ticket just booked) is served
as before: nothing says it is someone else's.

A record a steward accepted for a NIK other than the one typed on it (the child's, whose
parent typed their own) is read by its key one level down, one statement per product
that has any, and served in that citizen's field.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.apk import reads as apk_reads
from connectors.base import Source, SourceDB, Store
from connectors.cpns import reads as cpns_reads
from connectors.crosswalk.reads import Crosswalk, crosswalk_by_nik
from connectors.lpse import reads as lpse_reads
from connectors.psb import reads as psb_reads
from connectors.sikda import reads as sikda_reads

if TYPE_CHECKING:
    from schema.federation import Federation

ByKey = Callable[[SourceDB, Sequence[str]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Records:
    """How the crosswalk names a product field's rows (``table:key``, as the connector's
    ``sightings`` does), and how to read rows by that key."""

    source: Source
    table: str
    key: Callable[[Any], str]
    by_key: ByKey | None  # None: accepted records reach the field another way
    single: bool = False  # one object per citizen (employment), not a list

    def name(self, row: Any) -> tuple[str, str]:
        return self.source.value, f"{self.table}:{self.key(row)}"


RECORDS: dict[str, Records] = {
    "schoolAdmissions": Records(
        Source.PSB, "pendaftar", lambda a: a.registration_number, psb_reads.admissions_by_number
    ),
    "civilServiceApplications": Records(
        Source.CPNS, "pelamar", lambda a: a.registration_number, cpns_reads.applications_by_number
    ),
    "employment": Records(
        Source.SIKDA, "pegawai", lambda s: s.nip, sikda_reads.civil_servants_by_nip, single=True
    ),
    "procurementRoles": Records(
        Source.LPSE, "pengurus", lambda r: r.manager_id, lpse_reads.roles_by_id
    ),
    "districtRequests": Records(
        Source.APK, "permohonan", lambda r: r.number, apk_reads.requests_by_number
    ),
    # Tickets tied to a NIK by the crosswalk (walk-ins, mistyped NIKs) are its matched
    # tickets: read from their links one level down (schema.identity.loading).
    "queueTickets": Records(Source.ANTRIAN, "tiket", lambda t: t.id, None),
}


async def in_doubt(loader: Federation, field: str, nik: str, row: Any) -> bool:
    """Whether the crosswalk holds ``row`` (a record of the product ``field``) in doubt for
    ``nik``, the NIK typed on it.

    What the field leaves out, a citizen may neither follow nor act on as theirs: the
    subscriptions and mutations that find a record by its number ask this too. When the
    crosswalk cannot answer, the read's error is raised (refused, as the fields fail);
    without a hub store nothing is known, as for the fields.
    """
    if loader.store is None:
        return False
    said = (await loader.read(Store.HUB, crosswalk_by_nik, [nik])).get(nik)
    return said is not None and RECORDS[field].name(row) in said.doubts


def without_doubts(
    found: Mapping[str, Any], crosswalk: Mapping[str, Crosswalk] | Exception
) -> dict[str, Any]:
    """``found`` (each product field's rows by NIK, or its failure) without the records in
    doubt for the NIK they were read under.

    When the crosswalk could not be read, nothing says which records are someone
    else's: each product field fails with the crosswalk's error rather than serve them.
    """
    out: dict[str, Any] = {}
    for field, rows in found.items():
        named = RECORDS.get(field)
        if named is None or isinstance(rows, Exception):
            out[field] = rows
        elif isinstance(crosswalk, Exception):
            out[field] = crosswalk
        else:
            out[field] = _kept(rows, crosswalk, named)
    return out


async def accepted_records(
    loader: Federation, crosswalk: Awaitable[Mapping[str, Crosswalk]], fields: Sequence[str]
) -> dict[str, dict[str, list[Any]] | Exception]:
    """Per product field of ``fields``, the records a steward accepted for each NIK, read
    by key (one statement per product that has any); a product whose read failed gives
    its error."""
    try:
        found = await crosswalk
    except Exception:  # the product fields fail with it (without_doubts)
        return {}
    wanted: dict[str, dict[str, list[str]]] = {}
    reads: dict[str, Awaitable[dict[str, Any]]] = {}
    for field in fields:
        named = RECORDS.get(field)
        if named is None or named.by_key is None:
            continue
        prefix = named.table + ":"
        by_nik = {
            nik: [
                record.removeprefix(prefix)
                for system, record in sorted(known.accepted)
                if system == named.source.value and record.startswith(prefix)
            ]
            for nik, known in found.items()
        }
        by_nik = {nik: keys for nik, keys in by_nik.items() if keys}
        if by_nik:
            wanted[field] = by_nik
            keys = list(dict.fromkeys(k for ks in by_nik.values() for k in ks))
            reads[field] = loader.read_together(named.source, named.by_key, keys)
    settled = await asyncio.gather(*reads.values(), return_exceptions=True)
    out: dict[str, dict[str, list[Any]] | Exception] = {}
    for (field, by_nik), rows in zip(wanted.items(), settled, strict=True):
        if isinstance(rows, BaseException):
            if not isinstance(rows, Exception):
                raise rows
            out[field] = rows
        else:
            out[field] = {nik: [rows[k] for k in keys if k in rows] for nik, keys in by_nik.items()}
    return out


def with_accepted(
    found: Mapping[str, Any],
    accepted: Mapping[str, dict[str, list[Any]] | Exception] | Exception,
) -> dict[str, Any]:
    """``found`` with the accepted records added to their citizen's field (after its own
    rows, each record once); a field whose accepted records could not be read fails."""
    if isinstance(accepted, Exception):
        accepted = {field: accepted for field in found if field in RECORDS}
    out = dict(found)
    for field, extra in accepted.items():
        rows = found.get(field)
        if rows is None or isinstance(rows, Exception):
            continue
        if isinstance(extra, Exception):
            out[field] = extra
            continue
        named = RECORDS[field]
        merged = dict(rows)
        for nik, records in extra.items():
            own = merged.get(nik)
            if not records:
                continue
            if own is None:
                merged[nik] = records[0] if named.single else list(records)
            elif isinstance(own, list | tuple):
                seen = {named.name(r) for r in own}
                merged[nik] = [*own, *(r for r in records if named.name(r) not in seen)]
        out[field] = merged
    return out


def _kept(
    rows: Mapping[str, Any], crosswalk: Mapping[str, Crosswalk], named: Records
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for nik, value in rows.items():
        known = crosswalk.get(nik)
        doubts = known.doubts if known is not None else frozenset()
        if not doubts:
            out[nik] = value
        elif isinstance(value, list | tuple):  # a list field: its rows in doubt left out
            out[nik] = [row for row in value if named.name(row) not in doubts]
        elif named.name(value) not in doubts:  # one object (employment)
            out[nik] = value
    return out
