"""The disclosure log: who saw which citizen's data, when, why; written before the answer leaves."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectors.base import DATABASE_ERRORS
from hub.audit.reading import ACCESS_READ, NEWEST, AccessRead, DisclosureEntry, fold
from hub.audit.verify import VerifyResult, verify_chain
from hub.audit.writer import FlushObserver, GroupWriter, Row, error_class
from schema.errors import AuditUnavailable

if TYPE_CHECKING:
    from hub.audit.pool import HubPool

log = logging.getLogger(__name__)

# What "cannot write" means (the server refused or failed, the connection is gone
# or never came, the pool is closed, the time ran out): the connectors' definition.
DB_ERRORS = DATABASE_ERRORS


@dataclass(frozen=True, slots=True)
class Disclosure:
    """What one request showed of one citizen: the products read and the fields answered."""

    nik: str
    sources: Collection[str]
    fields: Collection[str]


@dataclass(frozen=True, slots=True)
class DisclosureRequest:
    """One request's disclosures and who made it (``purpose`` is None for a citizen's own).

    ``consent_id``: the citizen's consent an app's token was bought under; None for a
    partner (client credentials), the city's own apps and the operator's tokens.
    """

    request_id: str
    client_id: str | None
    subject: str | None
    purpose: str | None
    disclosures: Sequence[Disclosure]
    consent_id: str | None = None


class DisclosureLog:
    """The append-only, hash-chained ``disclosures`` table of the hub database.

    Its rows are written by one :class:`GroupWriter` (``writer``: this log's chain,
    ``writer_id`` to continue an existing one; ``on_flush`` observes each batch).
    ``statements`` counts the statements sent by ``record`` (through the writer, a
    batch of concurrent requests in one) and ``access_log``, as ``SourceDB.statements``
    does for a product, for statement-count tests.
    """

    def __init__(
        self,
        pool: HubPool,
        *,
        timeout: float = 5.0,
        writer_id: str | None = None,
        on_flush: FlushObserver | None = None,
    ) -> None:
        self._pool = pool
        self._timeout = timeout
        self.writer = GroupWriter(pool, writer_id=writer_id, timeout=timeout, on_flush=on_flush)
        self._reads = 0

    @property
    def statements(self) -> int:
        return self._reads + self.writer.statements

    @property
    def pool(self) -> HubPool:
        """The pool the log writes through (the app closes it at shutdown)."""
        return self._pool

    async def record(self, request: DisclosureRequest) -> None:
        """Append a row per distinct NIK of ``request`` to this log's chain.

        Repeated NIKs are merged (their sources and fields united). Returns once the
        rows are durable, written in one statement with those of the requests that
        came meanwhile. Raises :class:`AuditUnavailable` when they are not; then the
        caller must return no citizen data.
        """
        merged: dict[str, tuple[set[str], set[str]]] = {}
        for d in request.disclosures:
            sources, fields = merged.setdefault(d.nik, (set(), set()))
            sources.update(d.sources)
            fields.update(d.fields)
        if not merged:
            return
        rows = [
            Row(
                request.request_id,
                request.client_id,
                request.subject,
                request.purpose,
                request.consent_id,
                nik,
                tuple(sorted(s)),
                tuple(sorted(f)),
            )
            for nik, (s, f) in merged.items()
        ]
        try:
            await self.writer.append(rows)
        except AuditUnavailable:
            log.error("request %s: disclosure log not written", request.request_id)
            raise

    async def close(self) -> None:
        """Write what is queued, then refuse new rows: call before closing the pool."""
        await self.writer.close()

    async def access_log(
        self, niks: Sequence[str], last: int, *, before: int | None = None
    ) -> dict[str, list[DisclosureEntry]]:
        """The ``last`` disclosures of each NIK (older than the row ``before`` when
        given), newest first, in one statement.

        Every NIK asked for is a key (an empty list when nobody saw its data).
        Raises :class:`AuditUnavailable` when the log cannot be read.
        """
        read = await self.access_read(niks, last, before=before)
        return {nik: r.entries for nik, r in read.items()}

    async def access_read(
        self,
        niks: Sequence[str],
        last: int,
        *,
        before: int | None = None,
        summary: bool = False,
    ) -> dict[str, AccessRead]:
        """A page of each NIK's disclosures and, with ``summary``, all of them folded by
        (client, purpose): one statement however many NIKs (:mod:`hub.audit.reading`).

        Every NIK asked for is a key. Raises :class:`AuditUnavailable` when the log
        cannot be read.
        """
        wanted = list(dict.fromkeys(niks))
        last = max(last, 0)
        if not wanted or (last == 0 and not summary):
            return {nik: AccessRead(groups=[] if summary else None) for nik in wanted}
        cursor = NEWEST if before is None else before
        try:
            async with self._pool.acquire(timeout=self._timeout) as conn:
                self._reads += 1
                records = await conn.fetch(
                    ACCESS_READ, wanted, last, cursor, summary, timeout=self._timeout
                )
        except DB_ERRORS as exc:
            log.error("disclosure log not read (%s)", error_class(exc))
            raise AuditUnavailable("the access log cannot be read now; try again later") from exc
        return fold(records, wanted, summary)

    async def verify(self, batch: int = 10_000) -> VerifyResult:
        """Walk every writer's chain and name every altered, removed or reordered row."""
        async with self._pool.acquire() as conn:
            return await verify_chain(conn, batch)
