"""The registered clients of the hub's own tokens, cached briefly: whether a client is
revoked (the validator asks), and what it may do under each purpose (the access step asks),
from one cached read of its row."""

from __future__ import annotations

import asyncio
from typing import Protocol

import asyncpg

from connectors.base import DATABASE_ERRORS
from hub.auth.clients import Client, get_client


class StatusUnavailable(Exception):
    """The hub database cannot say whether a client is revoked."""


class ClientStatus(Protocol):
    """A port over the registered clients."""

    async def problem(self, client_id: str, now: float) -> str | None:
        """Why ``client_id``'s tokens must be refused now, or None if they may pass."""
        ...

    async def registered(self, client_id: str, now: float) -> Client | None:
        """The client as registered (scopes, purposes), or None if unknown."""
        ...


class HubClientStatus:
    """Reads ``oauth_clients``; each answer is reused for ``cache_seconds`` (caller's clock),
    so a revocation takes effect within that time and most requests cost no query. A read
    slower than ``timeout`` seconds is :class:`StatusUnavailable` (a 503), not a hang."""

    _MAX_ENTRIES = 10_000

    def __init__(self, pool: asyncpg.Pool, cache_seconds: float, timeout: float = 5.0) -> None:
        self.pool = pool
        self.cache_seconds = cache_seconds
        self.timeout = timeout
        self.queries = 0
        self._cache: dict[str, tuple[float, Client | None]] = {}
        self._reading: dict[str, asyncio.Future[Client | None]] = {}

    async def problem(self, client_id: str, now: float) -> str | None:
        return _problem(client_id, await self.registered(client_id, now))

    async def registered(self, client_id: str, now: float) -> Client | None:
        cached = self._cache.get(client_id)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1]
        # One query for all the requests that find the answer stale at once (a busy
        # client's requests all do when it expires), not one each.
        reading = self._reading.get(client_id)
        if reading is None:
            reading = asyncio.ensure_future(self._read(client_id, now))
            self._reading[client_id] = reading
            reading.add_done_callback(lambda _: self._reading.pop(client_id, None))
        # Shielded: one waiter cancelled (its client went away) leaves the read to the others.
        return await asyncio.shield(reading)

    async def _read(self, client_id: str, now: float) -> Client | None:
        self.queries += 1
        try:
            async with asyncio.timeout(self.timeout), self.pool.acquire() as conn:
                answer = await get_client(conn, client_id)
        except DATABASE_ERRORS as exc:
            raise StatusUnavailable(type(exc).__name__) from exc
        if len(self._cache) >= self._MAX_ENTRIES:
            self._cache.clear()
        self._cache[client_id] = (now, answer)
        return answer


def _problem(client_id: str, client: Client | None) -> str | None:
    if client is None:
        return f"client {client_id[:60]} is not registered with this hub"
    if client.revoked_at is not None:
        return f"client {client_id[:60]} was revoked on {client.revoked_at:%Y-%m-%d %H:%M} UTC"
    return None
