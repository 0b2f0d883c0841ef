"""The disclosure log: who saw which citizen's data, when, why; written before the answer leaves."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import orjson

from connectors.base import DATABASE_ERRORS
from hub.audit.verify import VerifyResult, verify_chain
from schema.errors import AuditUnavailable

if TYPE_CHECKING:
    from hub.audit.pool import HubPool

log = logging.getLogger(__name__)

# What "cannot write" means (the server refused or failed, the connection is gone
# or never came, the pool is closed, the time ran out): the connectors' definition.
DB_ERRORS = DATABASE_ERRORS

# One statement per request, whatever its number of citizens: the function takes
# the chain's lock, reads the head, sets seq and time and inserts every row. It is the
# writer's only way in (004_audit_append_only.sql: no INSERT on the table).
_APPEND = "SELECT disclosures_append($1, $2, $3, $4, $5::jsonb)"

_ACCESS_LOG = """
SELECT n.nik, d.seq, d.at, d.request_id, d.client_id, d.subject, d.purpose, d.sources, d.fields
FROM unnest($1::text[]) AS n(nik)
CROSS JOIN LATERAL (
    SELECT * FROM disclosures d WHERE d.nik = n.nik ORDER BY d.seq DESC LIMIT $2
) d
ORDER BY n.nik, d.seq DESC
"""


@dataclass(frozen=True, slots=True)
class Disclosure:
    """What one request showed of one citizen: the products read and the fields answered."""

    nik: str
    sources: Collection[str]
    fields: Collection[str]


@dataclass(frozen=True, slots=True)
class DisclosureRequest:
    """One request's disclosures and who made it (``purpose`` is None for a citizen's own)."""

    request_id: str
    client_id: str | None
    subject: str | None
    purpose: str | None
    disclosures: Sequence[Disclosure]


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


class DisclosureLog:
    """The append-only, hash-chained ``disclosures`` table of the hub database.

    ``statements`` counts the statements sent by ``record`` and ``access_log``
    (as ``SourceDB.statements`` does for a product), for statement-count tests.
    """

    def __init__(self, pool: HubPool, *, timeout: float = 5.0) -> None:
        self._pool = pool
        self._timeout = timeout
        self.statements = 0

    @property
    def pool(self) -> HubPool:
        """The pool the log writes through (the app closes it at shutdown)."""
        return self._pool

    async def record(self, request: DisclosureRequest) -> None:
        """Append a row per distinct NIK of ``request``, in one statement, chained.

        Repeated NIKs are merged (their sources and fields united). Raises
        :class:`AuditUnavailable` when the rows are not durably written; then the
        caller must return no citizen data.
        """
        merged: dict[str, tuple[set[str], set[str]]] = {}
        for d in request.disclosures:
            sources, fields = merged.setdefault(d.nik, (set(), set()))
            sources.update(d.sources)
            fields.update(d.fields)
        if not merged:
            return
        rows = [[nik, sorted(s), sorted(f)] for nik, (s, f) in merged.items()]
        try:
            async with self._pool.acquire(timeout=self._timeout) as conn:
                self.statements += 1
                await conn.fetchval(
                    _APPEND,
                    request.request_id,
                    request.client_id,
                    request.subject,
                    request.purpose,
                    orjson.dumps(rows).decode(),
                    timeout=self._timeout,
                )
        except DB_ERRORS as exc:
            log.error(
                "request %s: disclosure log not written (%s)", request.request_id, _reason(exc)
            )
            raise AuditUnavailable(
                "the disclosure log could not be written, so no citizen data is returned;"
                " try again later"
            ) from exc

    async def access_log(self, niks: Sequence[str], last: int) -> dict[str, list[DisclosureEntry]]:
        """The ``last`` disclosures of each NIK, newest first, in one statement.

        Every NIK asked for is a key (an empty list when nobody saw its data).
        Raises :class:`AuditUnavailable` when the log cannot be read.
        """
        wanted = list(dict.fromkeys(niks))
        result: dict[str, list[DisclosureEntry]] = {nik: [] for nik in wanted}
        if not wanted or last <= 0:
            return result
        try:
            async with self._pool.acquire(timeout=self._timeout) as conn:
                self.statements += 1
                records = await conn.fetch(_ACCESS_LOG, wanted, last, timeout=self._timeout)
        except DB_ERRORS as exc:
            log.error("disclosure log not read (%s)", _reason(exc))
            raise AuditUnavailable("the access log cannot be read now; try again later") from exc
        for r in records:
            result[r["nik"]].append(
                DisclosureEntry(
                    seq=r["seq"],
                    at=r["at"],
                    request_id=r["request_id"],
                    client_id=r["client_id"],
                    subject=r["subject"],
                    purpose=r["purpose"],
                    sources=tuple(r["sources"]),
                    fields=tuple(r["fields"]),
                )
            )
        return result

    async def verify(self, batch: int = 10_000) -> VerifyResult:
        """Walk the whole chain and name every altered, removed or reordered row."""
        async with self._pool.acquire() as conn:
            return await verify_chain(conn, batch)


def _reason(exc: BaseException) -> str:
    # The class and SQLSTATE only: a server message may quote the row, NIK included.
    state = getattr(exc, "sqlstate", None)
    return f"{type(exc).__name__}, SQLSTATE {state}" if state else type(exc).__name__
