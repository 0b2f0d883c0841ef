"""Registered documents in the hub database (``trusted_documents``, migration 008)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import asyncpg

from hub.documents.files import Operation

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Connection = asyncpg.Connection[Any] | PoolConnectionProxy[Any]


@dataclass(frozen=True, slots=True)
class Stored:
    digest: str
    operation: str | None
    origin: str | None
    added_at: datetime
    size: int

    @property
    def id(self) -> str:
        return f"sha256:{self.digest}"


class PgDocumentStore:
    """:class:`schema.execution.trusted.DocumentStore` on the hub's pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.statements = 0  # what the tests count: one per lookup the cache missed

    async def find(self, digest: str) -> str | None:
        self.statements += 1
        async with self.pool.acquire() as conn:
            body: str | None = await conn.fetchval(
                "SELECT body FROM trusted_documents WHERE digest = $1", digest
            )
        return body


async def register(conn: Connection, operations: Sequence[Operation]) -> list[bool]:
    """Register each operation; for each, True if it is new (registering twice is a no-op)."""
    added: list[bool] = []
    for operation in operations:
        digest = operation.id.removeprefix("sha256:")
        row = await conn.fetchval(
            "INSERT INTO trusted_documents (digest, body, operation, origin)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (digest) DO NOTHING RETURNING digest",
            digest,
            operation.text,
            operation.name,
            operation.origin,
        )
        added.append(row is not None)
    return added


async def registered(conn: Connection) -> list[Stored]:
    rows = await conn.fetch(
        "SELECT digest, operation, origin, added_at, length(body) AS size"
        " FROM trusted_documents ORDER BY added_at, operation"
    )
    return [Stored(**dict(r)) for r in rows]


async def unregister(conn: Connection, digests: Sequence[str]) -> list[str]:
    """Remove the documents; returns the digests that were registered."""
    rows = await conn.fetch(
        "DELETE FROM trusted_documents WHERE digest = ANY($1::text[]) RETURNING digest",
        list(digests),
    )
    return [r["digest"] for r in rows]
