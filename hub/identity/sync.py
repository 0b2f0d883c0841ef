"""``identity sync``: read every product's records and SIAK, link them, store the differences.

First each input is fingerprinted by its own server (:mod:`hub.identity.fingerprints`):
when none changed since the last sync and the crosswalk is as that sync left it,
the sync is recorded and ends there. Otherwise reading is one statement per
product (concurrently), then a few SIAK statements for the NIKs and family cards
those records name and those they likely meant (:mod:`hub.identity.register`);
linking is pure (:func:`identity.links.link`) and always over every product, so a
sync after one product changed gives exactly the links a first sync would; writing
is set-based (:mod:`hub.identity.store`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import asyncpg

from connectors.base import Source, SourceDB
from connectors.siak import reads as siak_reads
from hub.identity import fingerprints, store
from hub.identity.register import possible_duplicates, read_register
from hub.migrate import migrate
from identity.findings import Finding, RegisterEntry, Rule, register_findings
from identity.links import Register, link

if TYPE_CHECKING:
    from hub.migrate import Connection
    from identity.sightings import Sighting

# What each product contributes to the crosswalk (fingerprints.READS). SIAK is the NIK
# master: it is asked about the NIKs and cards the others name, and checked against its
# own NIKs.
SIGHTINGS: dict[Source, Callable[[SourceDB], Awaitable[list[Sighting]]]] = {
    source: reads.sightings for source, reads in fingerprints.READS.items()
}


@dataclass(slots=True)
class SyncResult:
    """What a sync read, what it changed, and how long each step took (seconds).

    ``relinked`` is false when nothing had changed since the last sync: nothing was
    read or linked, and ``records`` are what that sync read.
    """

    records: dict[Source, int]
    links: store.Changes
    findings: store.Changes
    timings: dict[str, float] = field(default_factory=dict)
    relinked: bool = True

    @property
    def seconds(self) -> float:
        """The whole sync: reading, linking and writing."""
        return sum(self.timings.values())


async def sync(
    sources: Mapping[Source, SourceDB], hub: Connection, *, full: bool = False
) -> SyncResult:
    """Rebuild the crosswalk from ``sources`` into the hub database ``hub``.

    Unless ``full``, a sync whose inputs are all as the last sync's ends after the
    check. Fingerprints are taken before reading: a source changing while the sync
    reads leaves the older fingerprint recorded, so the next sync links again.
    """
    started = datetime.now(UTC)
    clock = _Clock()
    inputs = await fingerprints.inputs(sources, hub)
    if not full:
        run = store.Run(started, datetime.now(UTC), inputs, {})
        unchanged = await store.record_if_unchanged(hub, run)
        if unchanged is not None:
            clock.lap("check")
            links, found, read_then = unchanged
            records = {s: read_then[s.value] for s in SIGHTINGS if s.value in read_then}
            return SyncResult(records, links, found, clock.laps, relinked=False)
    clock.lap("check")
    siak = sources[Source.SIAK]
    read, mismatches, twins = await asyncio.gather(
        asyncio.gather(*(fetch(sources[s]) for s, fetch in SIGHTINGS.items())),
        siak_reads.encoding_mismatches(siak),
        possible_duplicates(siak),
    )
    sightings = [s for batch in read for s in batch]
    register = await read_register(siak, sightings, twins)
    clock.lap("read")
    # Linking is CPU work: in a thread, so a hub serving requests in the same loop answers.
    link_rows, finding_rows = await asyncio.to_thread(_rows, sightings, register, mismatches, twins)
    clock.lap("link")
    records = {
        source: len({s.record for s in batch})
        for source, batch in zip(SIGHTINGS, read, strict=True)
    }
    run = store.Run(started, datetime.now(UTC), inputs, {s.value: n for s, n in records.items()})
    links, found = await store.apply_sync(hub, link_rows, finding_rows, run)
    clock.lap("write")
    return SyncResult(records, links, found, clock.laps)


def _rows(
    sightings: list[Sighting],
    register: Register,
    mismatches: list[RegisterEntry],
    twins: list[tuple[str, str]],
) -> tuple[store.Rows, store.Rows]:
    """The rows of both tables: what the sync will make the store hold, but the links
    a steward rejected (:func:`store.apply_sync` leaves them out, under the lock)."""
    crosswalk = link(sightings, register)
    findings = crosswalk.findings + register_findings(mismatches)
    # Never merged: a steward decides whether two NIKs are one person.
    findings += [
        Finding(
            Source.SIAK,
            Rule.POSSIBLE_DUPLICATE,
            f"penduduk:{second}",
            first,
            "same name, birth date, sex and birthplace as another NIK in SIAK",
        )
        for first, second in twins
    ]
    return store.link_rows(crosswalk.links), store.finding_rows(findings)


class _Clock:
    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        """Note the time since the last lap under ``name``."""
        now = time.perf_counter()
        self.laps[name] = now - self.last
        self.last = now


async def sync_databases(
    source_dsns: Mapping[Source, str], hub_dsn: str, *, full: bool = False
) -> SyncResult:
    """Connect to the eight products and the hub database, apply its migrations, sync."""
    async with AsyncExitStack() as stack:
        hub = await asyncpg.connect(hub_dsn, timeout=10)
        stack.push_async_callback(hub.close)
        await migrate(hub)
        sources: dict[Source, SourceDB] = {}
        for source in Source:
            pool = await asyncpg.create_pool(source_dsns[source], min_size=1, max_size=2)
            stack.push_async_callback(pool.close)
            sources[source] = SourceDB(source, pool)
        return await sync(sources, hub, full=full)
