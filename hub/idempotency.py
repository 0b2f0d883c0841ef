"""The hub's store of idempotency keys (``idempotency_keys``, hub/migrations/005)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg

from connectors.idempotency import Claim, ClaimState

if TYPE_CHECKING:
    from connectors.base import SourceDB


_CLAIM = """
WITH fresh AS (
    INSERT INTO idempotency_keys (scope, key, fingerprint) VALUES ($1, $2, $3)
    ON CONFLICT (scope, key) DO NOTHING
    RETURNING fingerprint, record, completed, true AS claimed
)
SELECT fingerprint, record, completed, claimed FROM fresh
UNION ALL
SELECT fingerprint, record, completed, false FROM idempotency_keys WHERE scope = $1 AND key = $2
"""
_GET = "SELECT fingerprint, record, completed FROM idempotency_keys WHERE scope = $1 AND key = $2"
_RESERVE = """
UPDATE idempotency_keys SET record = $3 WHERE scope = $1 AND key = $2 AND NOT completed
"""
_COMPLETE = """
UPDATE idempotency_keys SET record = $3, completed = true, completed_at = now()
 WHERE scope = $1 AND key = $2
"""


class PgIdempotencyStore:
    """:class:`IdempotencyStore` in the hub's own database, table ``idempotency_keys``.

    Every call is one statement in its own transaction (it must be committed before
    the product's transaction goes on, see the protocol).
    """

    def __init__(self, db: SourceDB, scope: str) -> None:
        self.db = db
        self.scope = scope

    async def get(self, key: str) -> Claim | None:
        rows = await self.db.fetch(_GET, self.scope, key)
        return _claim(key, rows[0], claimed=False) if rows else None

    async def claim(self, key: str, fingerprint: str) -> Claim:
        # Read committed: when another call inserts the same key at the same moment,
        # the INSERT waits for it and skips, but the SELECT's snapshot is older than
        # that row and finds none; the next try sees it.
        for _ in range(3):
            rows = await self.db.fetch(_CLAIM, self.scope, key, fingerprint)
            if rows:
                return _claim(key, rows[0], claimed=rows[0]["claimed"])
        raise RuntimeError(f"idempotency key {key!r} neither claimed nor found")

    async def reserve(self, key: str, record: str) -> None:
        await self.db.fetch(_RESERVE, self.scope, key, record)

    async def complete(self, key: str, record: str) -> None:
        await self.db.fetch(_COMPLETE, self.scope, key, record)


def _claim(key: str, row: asyncpg.Record, *, claimed: bool) -> Claim:
    state = (
        ClaimState.NEW if claimed else ClaimState.DONE if row["completed"] else ClaimState.PENDING
    )
    return Claim(key, row["fingerprint"], row["record"], state)
