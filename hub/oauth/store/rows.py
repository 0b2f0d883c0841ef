"""What every table module of the store shares: values kept as digests, the caller's
clock as a timestamp, and the one way rows become records and records become rows
(:func:`record`, :func:`fetch_record`, :func:`fetch_records`, :func:`insert`)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

if TYPE_CHECKING:
    import asyncpg
    from _typeshed import DataclassInstance

    from hub.migrate import Connection

    #: What a query runs on: a connection (in a transaction or not) or the pool.
    Queryable: TypeAlias = Connection | asyncpg.Pool

R = TypeVar("R", bound="DataclassInstance")


def digest(value: str) -> bytes:
    """SHA-256 of a token's value: what the tables keep instead of the value."""
    return hashlib.sha256(value.encode("utf-8")).digest()


def new_id() -> str:
    return secrets.token_urlsafe(18)


def at(now: float) -> datetime:
    return datetime.fromtimestamp(now, UTC)


def record(cls: type[R], row: asyncpg.Record) -> R:
    """The record ``cls`` from the row's columns named as its fields (other columns are
    left out); ``scopes``, a text[] column, becomes a frozenset."""
    values: dict[str, Any] = {f.name: row[f.name] for f in fields(cls)}
    if "scopes" in values:
        values["scopes"] = frozenset(values["scopes"])
    return cls(**values)


async def fetch_record(db: Queryable, cls: type[R], sql: str, *args: object) -> R | None:
    """The first row of ``sql`` as a ``cls``, or None when there is none."""
    row = await db.fetchrow(sql, *args)
    return None if row is None else record(cls, row)


async def fetch_records(db: Queryable, cls: type[R], sql: str, *args: object) -> list[R]:
    return [record(cls, row) for row in await db.fetch(sql, *args)]


async def insert(db: Queryable, table: str, **values: object) -> None:
    """INSERT one row of ``values`` into ``table``, in the keywords' order. Table and
    column names are the store's own words, never input; the values are parameters."""
    columns = ", ".join(values)
    params = ", ".join(f"${n}" for n in range(1, len(values) + 1))
    await db.execute(f"INSERT INTO {table} ({columns}) VALUES ({params})", *values.values())
