"""Where an issuer's public keys come from, and how long they are trusted before a refetch."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import aiohttp
import asyncpg
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, Key

from connectors.base import DATABASE_ERRORS
from hub.auth.keys import published_jwks

log = logging.getLogger("citizen_hub.auth")


class KeysUnavailable(Exception):
    """An issuer's keys could not be fetched (network, HTTP status, not a JWKS)."""


class KeySource(Protocol):
    """A port: fetches an issuer's current public keys."""

    async def fetch(self) -> list[Key]: ...


class HubKeySource:
    """The hub's own published keys, read from the hub database."""

    def __init__(self, pool: asyncpg.Pool, timeout: float = 5.0) -> None:
        self.pool = pool
        self.timeout = timeout

    async def fetch(self) -> list[Key]:
        try:
            async with asyncio.timeout(self.timeout), self.pool.acquire() as conn:
                jwks = await published_jwks(conn)
        except DATABASE_ERRORS as exc:
            raise KeysUnavailable(f"hub database unreachable ({type(exc).__name__})") from exc
        return import_keys(jwks, "the hub database")


class RemoteJWKS:
    """An issuer's JWKS document served over HTTP(S)."""

    def __init__(
        self, url: str, session: Callable[[], aiohttp.ClientSession], timeout: float = 5.0
    ) -> None:
        self.url = url
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def fetch(self) -> list[Key]:
        try:
            async with self._session().get(self.url, timeout=self._timeout) as response:
                if response.status != 200:
                    raise KeysUnavailable(f"{self.url} answered HTTP {response.status}")
                document: Any = await response.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            raise KeysUnavailable(f"{self.url} cannot be fetched ({type(exc).__name__})") from exc
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise KeysUnavailable(f"{self.url} is not a JWKS (no 'keys' list)")
        return import_keys(document["keys"], self.url)


def import_keys(jwks: Iterable[object], origin: str) -> list[Key]:
    """The usable public keys of a JWKS; a key that cannot be read is skipped, not fatal."""
    keys: list[Key] = []
    for data in jwks:
        try:
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            key = JWKRegistry.import_key(data)
            key.ensure_kid()
        except (JoseError, TypeError, ValueError) as exc:
            log.warning("skipping an unreadable key from %s (%s)", origin, type(exc).__name__)
            continue
        keys.append(key)
    return keys


class CachedKeys:
    """An issuer's keys, kept ``max_age`` seconds; an unknown kid refetches them at most once
    per ``refresh_interval`` seconds, so a flood of made-up kids cannot hammer the issuer.

    Times are the caller's clock (``now``), so tests move time without sleeping.
    """

    def __init__(self, source: KeySource, *, refresh_interval: float, max_age: float) -> None:
        self.source = source
        self.refresh_interval = refresh_interval
        self.max_age = max_age
        self.fetches = 0
        self._keys: list[Key] | None = None
        self._fetched_at = -math.inf
        self._lock = asyncio.Lock()

    async def find(self, kid: str, now: float) -> Key | None:
        """The key ``kid``, or None if the issuer does not publish it (after one refetch).

        Raises :class:`KeysUnavailable` only when no keys could ever be fetched.
        """
        if self._keys is None or now - self._fetched_at >= self.max_age:
            await self._refresh(now)
        key = self._lookup(kid)
        if key is None and now - self._fetched_at >= self.refresh_interval:
            await self._refresh(now)
            key = self._lookup(kid)
        return key

    def _lookup(self, kid: str) -> Key | None:
        return next((k for k in self._keys or () if k.kid == kid), None)

    async def _refresh(self, now: float) -> None:
        # One fetch for all the requests that find the keys stale at once: a request that
        # waited on the lock while a fetch ran takes that fetch's outcome.
        fetches = self.fetches
        async with self._lock:
            if self.fetches != fetches:
                if self._keys is None:
                    raise KeysUnavailable("the keys could not be fetched just now")
                return
            self._fetched_at = now
            try:
                self._keys = await self.source.fetch()
            except KeysUnavailable as exc:
                if self._keys is None:
                    raise
                log.warning("keeping the keys fetched before: %s", exc)
            finally:
                self.fetches += 1  # counted once done, so that waiters see it
