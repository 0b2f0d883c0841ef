"""Whether a client of the hub's own tokens is still registered and not revoked, cached briefly."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import asyncpg

if TYPE_CHECKING:
    from datetime import datetime


class StatusUnavailable(Exception):
    """The hub database cannot say whether a client is revoked."""


class ClientStatus(Protocol):
    """A port: why ``client_id``'s tokens must be refused now, or None if they may pass."""

    async def problem(self, client_id: str, now: float) -> str | None: ...


class HubClientStatus:
    """Reads ``oauth_clients``; each answer is reused for ``cache_seconds`` (caller's clock),
    so a revocation takes effect within that time and most requests cost no query."""

    _MAX_ENTRIES = 10_000

    def __init__(self, pool: asyncpg.Pool, cache_seconds: float) -> None:
        self.pool = pool
        self.cache_seconds = cache_seconds
        self.queries = 0
        self._cache: dict[str, tuple[float, str | None]] = {}

    async def problem(self, client_id: str, now: float) -> str | None:
        cached = self._cache.get(client_id)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1]
        self.queries += 1
        try:
            async with self.pool.acquire() as conn:
                row = await conn.fetchrow(
                    "SELECT revoked_at FROM oauth_clients WHERE client_id = $1", client_id
                )
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise StatusUnavailable(type(exc).__name__) from exc
        answer = _problem(client_id, row)
        if len(self._cache) >= self._MAX_ENTRIES:
            self._cache.clear()
        self._cache[client_id] = (now, answer)
        return answer


def _problem(client_id: str, row: asyncpg.Record | None) -> str | None:
    if row is None:
        return f"client {client_id[:60]} is not registered with this hub"
    revoked_at: datetime | None = row["revoked_at"]
    if revoked_at is not None:
        return f"client {client_id[:60]} was revoked on {revoked_at:%Y-%m-%d %H:%M} UTC"
    return None
