"""What every connector shares: the source names, the database port, the seed contract."""

from __future__ import annotations

import enum
import re
from collections.abc import AsyncIterator, Hashable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import asyncpg

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    from connectors.city import City

# What "the database did not answer" means, for every caller of asyncpg here: the
# server refused or failed, the connection is gone or never came, the pool is
# closed, or the time ran out. A bug in our own code (TypeError, KeyError…) is
# none of these and must not be reported as the database's failure.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


class Source(enum.StrEnum):
    """The eight products; the value is also the database name the embedded server uses."""

    SIAK = "siak"
    PSB = "psb"
    CPNS = "cpns"
    SIKDA = "sikda"
    SIPBD = "sipbd"
    LPSE = "lpse"
    APK = "apk"
    ANTRIAN = "antrian"


class Store(enum.StrEnum):
    """A database the graph reads that is no product: the hub's own (the identity crosswalk).

    It is read like a source (same guard, same statement counting, reported in
    ``extensions.sources`` as ``HUB``) but is not one of the eight :class:`Source`.
    """

    HUB = "hub"


class SourceDB:
    """A product database as the connectors see it: an asyncpg pool that counts statements.

    Every read a connector makes goes through :meth:`fetch`, so tests and metrics
    can count the statements one request sends to each source.
    """

    def __init__(self, source: Source | Store, pool: asyncpg.Pool) -> None:
        self.source = source
        self.pool = pool
        self.statements = 0

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        self.statements += 1
        async with self.pool.acquire() as conn:
            return await conn.fetch(sql, *args)

    async def ping(self) -> None:
        """``SELECT 1``: raises whatever the driver raises when the database is unreachable.

        Not counted in ``statements``: it is a health probe, not a read.
        """
        async with self.pool.acquire() as conn:
            await conn.fetchval("SELECT 1")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """One pooled connection inside a transaction, committed when the block ends and
        rolled back when it raises; its statements count in ``statements`` like reads."""
        async with self.pool.acquire() as conn, conn.transaction():
            yield Transaction(self, conn)


class SourceDBs(dict[Source, SourceDB]):
    """The eight product databases by source, and the hub's own store beside them.

    ``store`` is filled when the hub database is connected; the federation reads
    the identity crosswalk from it.
    """

    __slots__ = ("store",)

    def __init__(self, *args: Any, store: SourceDB | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.store = store


@dataclass(slots=True)
class TableRows:
    """Rows for one legacy table, in column order, ready for COPY."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def replace(self, index: int, column: str, value: Any) -> None:
        """Set one cell of a row already written (rows are tuples: the row is rebuilt)."""
        at = self.columns.index(column)
        row = self.rows[index]
        self.rows[index] = (*row[:at], value, *row[at + 1 :])


@dataclass(slots=True)
class SeedRows:
    """What a connector's seeder produces: rows per table and the deliberate mess it made.

    ``messy`` counts each kind of deliberately dirty row (``nik_with_separators``,
    ``out_of_city``, ``walk_in_phone_only``, …) exactly, so tests can find them all.
    ``exports`` hands facts to seeders that run later (SIKDa's NIPs to SIPBD).
    """

    tables: dict[str, TableRows]
    messy: dict[str, int] = field(default_factory=dict)
    exports: dict[str, Any] = field(default_factory=dict)


class Seeder(Protocol):
    def __call__(self, city: City, earlier: dict[Source, SeedRows]) -> SeedRows: ...


def read_ddl(package: str) -> str:
    """The legacy DDL shipped as ``ddl.sql`` beside a connector's modules."""
    return resources.files(package).joinpath("ddl.sql").read_text(encoding="utf-8")


_NOT_DIGITS = re.compile(r"[^0-9]")
K = TypeVar("K", bound=Hashable)


def unique_keys(values: Iterable[K]) -> list[K]:
    """Deduplicated keys for an ``= ANY($1::text[])`` lookup, order kept."""
    return list(dict.fromkeys(values))


def digit_keys(values: Iterable[str]) -> list[str]:
    """:func:`unique_keys` of the digits of each value, for columns matched on
    ``regexp_replace(column, '[^0-9]', '', 'g')`` (NIKs, NIPs, NPWPs typed with separators)."""
    return unique_keys(_NOT_DIGITS.sub("", v) for v in values)


def group(records: Iterable[Any], key: str) -> dict[str, list[Any]]:
    """Group typed records by one attribute, keeping their order."""
    out: dict[str, list[Any]] = {}
    for record in records:
        out.setdefault(getattr(record, key), []).append(record)
    return out


class Transaction:
    """A connection inside a transaction (:meth:`SourceDB.transaction`): every statement it
    sends is counted in its database's ``statements``."""

    def __init__(self, db: SourceDB, conn: PoolConnectionProxy) -> None:
        self.db = db
        self.conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        self.db.statements += 1
        return await self.conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        self.db.statements += 1
        return await self.conn.fetchrow(sql, *args)

    async def execute(self, sql: str, *args: Any) -> str:
        self.db.statements += 1
        return await self.conn.execute(sql, *args)


async def insert_next_id(
    tx: Transaction, what: str, attempts: int, sql: str, *args: Any
) -> asyncpg.Record:
    """The row ``sql`` returns, run until it returns one; ``sql`` is an
    ``INSERT … SELECT max + 1 … ON CONFLICT DO NOTHING RETURNING …``.

    The legacy tables number their rows max + 1 with no sequence behind them, and a
    writer that knows nothing of the hub's locks (the product itself) may take the
    same id first: the insert then skips rather than fails, and the next attempt takes
    the next max. Each lost race is another writer's commit, so ``attempts`` bounds only
    a table gone wild; past it, ``RuntimeError`` names ``what`` found no free value.
    """
    for _ in range(attempts):
        row = await tx.fetchrow(sql, *args)
        if row is not None:
            return row
    raise RuntimeError(f"no free {what} after {attempts} attempts")


class WriteRefused(ValueError):
    """A write a connector refused before touching its product, for bad input or a rule
    of the product (a full day, a ticket already held…); nothing was written.

    ``field`` names the input at fault (``visit_date``, ``details.purpose``), ``rule``
    the rule it breaks (``fully_booked``), and the message, in English, says both and
    is safe to show the client: it quotes what the client sent, never other people's data.

    ::

        ValueError
        └── WriteRefused                 connectors.base
            ├── BookingRefused           connectors.antrian.writes (book_ticket)
            ├── CancelRefused            connectors.antrian.writes (cancel_ticket)
            ├── CounterRefused           connectors.antrian.counter
            └── RequestRefused           connectors.apk.writes (submit_request)

    Database failures are not refusals: they propagate as :data:`DATABASE_ERRORS`.
    """

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule
        self.message = message
