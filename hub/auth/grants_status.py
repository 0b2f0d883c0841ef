"""Whether a citizen's sign-in into an app (an ``oauth_grants`` row, the ``sid`` of its
access tokens) still stands, cached briefly like the clients' status."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import asyncpg

from connectors.base import DATABASE_ERRORS
from hub.auth.clients_status import StatusUnavailable


class GrantStatus(Protocol):
    async def problem(self, grant_id: str, now: float) -> str | None:
        """Why the tokens of sign-in ``grant_id`` must be refused now, or None."""
        ...


@dataclass(frozen=True, slots=True)
class _Grant:
    revoked_at: datetime | None
    revoked_reason: str | None


class HubGrantStatus:
    """Reads ``oauth_grants``; each answer is reused for ``cache_seconds`` (caller's clock),
    so a withdrawn consent stops its app's access tokens within that time."""

    _MAX_ENTRIES = 10_000

    def __init__(self, pool: asyncpg.Pool, cache_seconds: float, timeout: float = 5.0) -> None:
        self.pool = pool
        self.cache_seconds = cache_seconds
        self.timeout = timeout
        self._cache: dict[str, tuple[float, _Grant | None]] = {}

    async def problem(self, grant_id: str, now: float) -> str | None:
        cached = self._cache.get(grant_id)
        if cached is not None and now - cached[0] < self.cache_seconds:
            grant = cached[1]
        else:
            grant = await self._read(grant_id)
            if len(self._cache) >= self._MAX_ENTRIES:
                self._cache.clear()
            self._cache[grant_id] = (now, grant)
        if grant is None:
            return "the sign-in this token belongs to is not known to this hub"
        if grant.revoked_at is not None:
            why = f" ({grant.revoked_reason})" if grant.revoked_reason else ""
            return f"the sign-in this token belongs to was revoked{why}"
        return None

    async def _read(self, grant_id: str) -> _Grant | None:
        try:
            async with asyncio.timeout(self.timeout), self.pool.acquire() as conn:
                row = await conn.fetchrow(
                    "SELECT revoked_at, revoked_reason FROM oauth_grants WHERE id = $1", grant_id
                )
        except DATABASE_ERRORS as exc:
            raise StatusUnavailable(type(exc).__name__) from exc
        return None if row is None else _Grant(row["revoked_at"], row["revoked_reason"])
