"""The resource server's side: from an ``Authorization`` header to a :class:`Principal`.

Authentication is a pipeline, each step with its own precise error (RFC 6750 §3):

1. header shape: ``Bearer <token>``                    -> no error code / invalid_request
2. JWS compact parse, unverified (claims nested at most 32 deep) -> invalid_token
3. header: ``alg`` from the allow-list, ``typ`` at+jwt, ``kid``
4. issuer: the unverified ``iss`` names a trusted one  (only to choose keys; checked again)
5. key: that issuer's ``kid``; unknown -> one rate-limited JWKS refetch
6. signature against that key, with the header's alg only
7. claims: exp/nbf/iat finite NumericDates in 1970..9999, checked with leeway (iat not
   in the future); exp - iat no more than the maximum lifetime; iss, aud, sub, jti
8. principal: scope, nik (a valid NIK), purpose
9. hub's own tokens: the client is registered and not revoked (cached briefly); a token
   of a citizen's sign-in into an app (claim ``sid``) only while that sign-in is not
   revoked: consent withdrawn, refresh token replayed, revoked by the app (cached briefly)

A token whose signature verified is remembered, bounded, by the SHA-256 of the token:
its claims are not verified again while the issuer still publishes the same key object
for its ``kid``, but the time claims are checked at every request (an expired token is
refused however recently it verified) and so is step 9's revocation. A key rotated out
or refetched makes the next request verify the signature again.

The clock is injectable (``clock=`` and ``authenticate(..., now=)``): expiry, key caching
and refetch limits are tested by moving ``now``, without sleeping.

This module holds the pipeline (:class:`TokenValidator`) and steps 1, 2, 3, 6 and 9; the
trusted issuers and their keys (steps 4 and 5) are in :mod:`hub.auth.issuers`, the
checks of the claims (nesting, NumericDates, lifetime; steps 7 and 8) in
:mod:`hub.auth.claims`. Their public names are importable from here too.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

from cachetools import LRUCache
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, JoseError

from hub.auth.claims import (
    DEFAULT_MAX_TOKEN_LIFETIME,
    MAX_CLAIMS_DEPTH,
    MAX_NUMERIC_DATE,
    check_claims,
    check_claims_depth,
    check_numeric_date,
    principal_from,
)
from hub.auth.clients import Client
from hub.auth.clients_status import ClientStatus, StatusUnavailable
from hub.auth.errors import AuthError, shown
from hub.auth.grants_status import GrantStatus
from hub.auth.issuers import (
    OWN_KEYS_MAX_AGE_SECONDS,
    OWN_KEYS_REFRESH_SECONDS,
    Issuer,
    configured_issuers,
    find_issuer,
    find_key,
)
from hub.auth.principal import Principal
from hub.auth.tokens import CLI_CLIENT_ID

if TYPE_CHECKING:
    import asyncpg
    from joserfc.jwk import Key

    from hub.settings import AuthSettings

__all__ = [
    "ALGORITHMS",
    "DEFAULT_MAX_TOKEN_LIFETIME",
    "MAX_CLAIMS_DEPTH",
    "MAX_NUMERIC_DATE",
    "MAX_TOKEN_LENGTH",
    "OWN_KEYS_MAX_AGE_SECONDS",
    "OWN_KEYS_REFRESH_SECONDS",
    "Issuer",
    "TokenValidator",
    "bearer_token",
    "check_numeric_date",
    "principal_from",
    "read_unverified",
    "verify",
]

#: Asymmetric algorithms only: ``none`` and every HS* are refused before any key is touched,
#: which also defeats HS256 "signed" with an issuer's public key as the HMAC secret.
ALGORITHMS: Final = ("ES256", "RS256")
MAX_TOKEN_LENGTH: Final = 8192
_ACCESS_TOKEN_TYPES: Final = ("at+jwt", "application/at+jwt")
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
#: Verified tokens remembered at once; a token lives minutes, the cache only saves the
#: signature check of a token seen again, so a few thousand callers' tokens suffice.
VERIFIED_TOKENS: Final = 4096


class _Verified:
    """What the signature check of one token established, and under which key."""

    __slots__ = ("alg", "claims", "issuer", "key", "kid")

    def __init__(self, issuer: Issuer, key: Key, alg: str, kid: str, claims: dict[str, Any]):
        self.issuer, self.key, self.alg, self.kid, self.claims = issuer, key, alg, kid, claims


class TokenValidator:
    """Validates bearer access tokens (RFC 9068) of several issuers at once."""

    def __init__(
        self,
        issuers: Iterable[Issuer],
        *,
        leeway: int = 30,
        max_lifetime: int = DEFAULT_MAX_TOKEN_LIFETIME,
        algorithms: Iterable[str] = ALGORITHMS,
        clock: Callable[[], float] = time.time,
        on_close: Callable[[], Any] | None = None,
    ) -> None:
        self.issuers = {i.issuer: i for i in issuers}
        self.leeway = leeway
        if max_lifetime <= 0:
            raise ValueError(
                f"max_lifetime must be a positive number of seconds, not {max_lifetime}"
            )
        self.max_lifetime = max_lifetime
        self.algorithms = tuple(algorithms)
        if any(a == "none" or a.startswith("HS") for a in self.algorithms):
            raise ValueError("only asymmetric algorithms may be allowed (no 'none', no HS*)")
        self._clock = clock
        self._on_close = on_close
        # Keyed by the token's SHA-256, never the token itself.
        self._verified: LRUCache[bytes, _Verified] = LRUCache(maxsize=VERIFIED_TOKENS)

    @classmethod
    def from_settings(
        cls,
        auth: AuthSettings,
        hub_pool: asyncpg.Pool,
        *,
        clock: Callable[[], float] = time.time,
    ) -> TokenValidator:
        """The hub's own issuer (keys and revocations read from ``hub_pool``) and every
        ``[[auth.issuers]]`` entry (keys fetched from its ``jwks_url``). Close it when done."""
        issuers, close = configured_issuers(auth, hub_pool)
        return cls(
            issuers,
            leeway=auth.leeway_seconds,
            max_lifetime=auth.max_token_lifetime_seconds,
            clock=clock,
            on_close=close,
        )

    async def registered_client(self, principal: Principal) -> Client | None:
        """The registered client behind a token of the hub's own issuer (its purposes),
        from the same brief cache the revocation check uses; None for other issuers."""
        issuer = self.issuers.get(principal.issuer)
        if issuer is None or issuer.clients is None:
            return None
        try:
            return await issuer.clients.registered(principal.client_id, self._clock())
        except StatusUnavailable:
            raise AuthError.unavailable("the client's registration cannot be read now") from None

    async def close(self) -> None:
        """Release the HTTP session used to fetch other issuers' keys."""
        if self._on_close is not None:
            await self._on_close()

    async def authenticate(self, authorization: str | None, now: float | None = None) -> Principal:
        """The principal of a valid ``Authorization: Bearer`` value, else :class:`AuthError`."""
        at = self._clock() if now is None else now
        token = bearer_token(authorization)
        digest = hashlib.sha256(token.encode("ascii")).digest()
        seen = self._verified.get(digest)
        if seen is not None and await find_key(seen.issuer, seen.kid, seen.alg, at) is seen.key:
            issuer, claims = seen.issuer, seen.claims
        else:
            header, unverified = read_unverified(token)
            alg, kid = self._check_header(header)
            issuer = find_issuer(self.issuers, unverified)
            key = await find_key(issuer, kid, alg, at)
            claims = verify(token, key, alg, kid)
            self._verified[digest] = _Verified(issuer, key, alg, kid, claims)
        check_claims(
            claims,
            issuer=issuer.issuer,
            audience=issuer.audience,
            now=at,
            leeway=self.leeway,
            max_lifetime=self.max_lifetime,
        )
        principal = principal_from(claims)
        await self._check_client(issuer, principal, at)
        return principal

    def _check_header(self, header: dict[str, Any]) -> tuple[str, str]:
        """Step 3: the header's alg (allowed), typ (at+jwt) and kid."""
        alg = header.get("alg")
        if alg not in self.algorithms:
            accepted = ", ".join(self.algorithms)
            raise AuthError.invalid_token(f"alg {shown(alg)} is not accepted (only {accepted})")
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in _ACCESS_TOKEN_TYPES:
            raise AuthError.invalid_token(
                f"typ {shown(typ)} is not at+jwt: only RFC 9068 access tokens are accepted"
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError.invalid_token("the token header has no kid naming its signing key")
        return alg, kid

    async def _check_client(self, issuer: Issuer, principal: Principal, now: float) -> None:
        """Step 9: for the hub's own tokens, the client and the citizen's sign-in."""
        if issuer.clients is None:
            return
        if principal.client_id == CLI_CLIENT_ID:
            if principal.nik is None:
                raise AuthError.invalid_token(f"a {CLI_CLIENT_ID} token must be a citizen's")
            return
        await _not_revoked(issuer.clients, principal.client_id, now, "client")
        if principal.grant_id is not None and issuer.grants is not None:
            await _not_revoked(issuer.grants, principal.grant_id, now, "sign-in")


async def _not_revoked(
    status: ClientStatus | GrantStatus, identifier: str, now: float, what: str
) -> None:
    """The client or sign-in ``identifier`` is not revoked, else :class:`AuthError`."""
    try:
        problem = await status.problem(identifier, now)
    except StatusUnavailable:
        raise AuthError.unavailable(f"{what} revocations cannot be checked now") from None
    if problem is not None:
        raise AuthError.invalid_token(problem)


def bearer_token(authorization: str | None) -> str:
    """Step 1: the token of an ``Authorization: Bearer <token>`` value (RFC 6750 §2.1)."""
    if not authorization:
        raise AuthError.missing()
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise AuthError.missing()
    value = value.strip()
    if not value:
        raise AuthError.invalid_request("the Authorization header has 'Bearer' but no token")
    if not _B64TOKEN.fullmatch(value):
        raise AuthError.invalid_request(
            "the Authorization header must be 'Bearer <token>': one token, no other characters"
        )
    if len(value) > MAX_TOKEN_LENGTH:
        raise AuthError.invalid_token(f"the token is longer than {MAX_TOKEN_LENGTH} characters")
    return value


def read_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Step 2: header and claims of a JWS compact token, not yet verified."""
    if token.count(".") == 4:
        raise AuthError.invalid_token("encrypted tokens (JWE) are not accepted")
    try:
        compact = jws.extract_compact(token.encode("ascii"))
        header = compact.headers()
        payload = compact.payload or b""
        # Checked before parsing: json.loads recurses, and this is before the signature.
        check_claims_depth(payload)
        claims = json.loads(payload)
    except (JoseError, ValueError, TypeError, RecursionError):
        raise AuthError.invalid_token(
            "the token is not a JWT (base64url header.payload.signature)"
        ) from None
    if not isinstance(claims, dict):
        raise AuthError.invalid_token("the token's payload is not a JSON object of claims")
    return dict(header), claims


def verify(token: str, key: Key, alg: str, kid: str) -> dict[str, Any]:
    """Step 6: the claims, once the signature verifies with ``key`` under ``alg`` only."""
    try:
        verified = jwt.decode(token, key, algorithms=[alg])
    except BadSignatureError:
        raise AuthError.invalid_token(
            f"the signature does not verify with key {shown(kid)}"
        ) from None
    except JoseError as exc:
        raise AuthError.invalid_token(f"the token cannot be verified ({exc.error})") from None
    return dict(verified.claims)
