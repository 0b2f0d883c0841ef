"""The issuers a :class:`~hub.auth.validate.TokenValidator` trusts, and finding a token's
key (steps 4 and 5 of :mod:`hub.auth.validate`): the hub's own issuer (its keys and
revocations read from the hub database) and every ``[[auth.issuers]]`` entry (its keys
fetched from its JWKS URL), the issuer an unverified ``iss`` names, and that issuer's key
for a ``kid``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import aiohttp

from hub.auth.clients_status import ClientStatus, HubClientStatus
from hub.auth.errors import AuthError, shown
from hub.auth.grants_status import GrantStatus, HubGrantStatus
from hub.auth.jwks import CachedKeys, HubKeySource, KeysUnavailable, RemoteJWKS

if TYPE_CHECKING:
    import asyncpg
    from joserfc.jwk import Key

    from hub.settings import AuthSettings

OWN_KEYS_REFRESH_SECONDS: Final = 1.0
OWN_KEYS_MAX_AGE_SECONDS: Final = 60.0


@dataclass(frozen=True, slots=True)
class Issuer:
    """An issuer the validator trusts: its identifier, the audience its tokens must name,
    its keys, and (for the hub's own) where to check that the client is not revoked."""

    issuer: str
    audience: str
    keys: CachedKeys
    clients: ClientStatus | None = None
    grants: GrantStatus | None = None


def configured_issuers(
    auth: AuthSettings, hub_pool: asyncpg.Pool
) -> tuple[list[Issuer], Callable[[], Awaitable[None]]]:
    """The hub's own issuer and every ``[[auth.issuers]]`` entry, and what closes the
    HTTP session their keys are fetched with."""
    sessions = _Session()

    def cached(source: RemoteJWKS) -> CachedKeys:
        return CachedKeys(
            source,
            refresh_interval=auth.jwks_refresh_seconds,
            max_age=auth.keys_cache_seconds,
        )

    # The hub's own keys are one small query away, not a remote fetch: an unknown kid
    # rereads them at most once a second, so a key rotated in by `citizen-hub keys
    # rotate` (another process) signs tokens that validate here a second later, and a
    # retired key stops validating within a minute.
    own_keys = CachedKeys(
        HubKeySource(hub_pool),
        refresh_interval=min(auth.jwks_refresh_seconds, OWN_KEYS_REFRESH_SECONDS),
        max_age=min(auth.keys_cache_seconds, OWN_KEYS_MAX_AGE_SECONDS),
    )
    own = Issuer(
        auth.issuer,
        auth.audience,
        own_keys,
        HubClientStatus(hub_pool, auth.revocation_cache_seconds),
        HubGrantStatus(hub_pool, auth.revocation_cache_seconds),
    )
    others = [
        Issuer(t.issuer, t.audience or auth.audience, cached(RemoteJWKS(t.jwks_url, sessions)))
        for t in auth.issuers
    ]
    return [own, *others], sessions.close


def find_issuer(issuers: Mapping[str, Issuer], unverified: dict[str, Any]) -> Issuer:
    """Step 4: the trusted issuer the unverified ``iss`` names (only to choose keys)."""
    iss = unverified.get("iss")
    if not isinstance(iss, str):
        raise AuthError.invalid_token("the token has no iss claim")
    issuer = issuers.get(iss)
    if issuer is None:
        raise AuthError.invalid_token(f"issuer {shown(iss)} is not trusted here")
    return issuer


async def find_key(issuer: Issuer, kid: str, alg: str, now: float) -> Key:
    """Step 5: the issuer's key ``kid``, for ``alg`` signatures; an unknown kid refetches
    the issuer's keys, at most as often as its cache allows."""
    try:
        key = await issuer.keys.find(kid, now)
    except KeysUnavailable:
        raise AuthError.unavailable(
            f"the keys of issuer {issuer.issuer} cannot be fetched now; try again"
        ) from None
    if key is None:
        raise AuthError.invalid_token(
            f"key {shown(kid)} is not published by issuer {issuer.issuer}"
        )
    use = key.get("use")
    if (use is not None and use != "sig") or (key.alg is not None and key.alg != alg):
        raise AuthError.invalid_token(f"key {shown(kid)} is not for {alg} signatures")
    return key


class _Session:
    """One aiohttp session for every outside JWKS, opened on first use."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def __call__(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
