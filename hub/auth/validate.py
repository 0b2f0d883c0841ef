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

The clock is injectable (``clock=`` and ``authenticate(..., now=)``): expiry, key caching
and refetch limits are tested by moving ``now``, without sleeping.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import aiohttp
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwt import JWTClaimsRegistry

from hub.auth.clients import Client
from hub.auth.clients_status import ClientStatus, HubClientStatus, StatusUnavailable
from hub.auth.errors import AuthError, shown
from hub.auth.grants_status import GrantStatus, HubGrantStatus
from hub.auth.jwks import CachedKeys, HubKeySource, KeysUnavailable, RemoteJWKS
from hub.auth.principal import Principal
from hub.auth.scopes import ScopeSyntaxError, check_purpose_code, parse_scope
from hub.auth.tokens import CLI_CLIENT_ID
from hub.http_input import json_depth
from identity.nik import NIK, InvalidNIK

if TYPE_CHECKING:
    import asyncpg
    from joserfc.jwk import Key

    from hub.settings import AuthSettings

#: Asymmetric algorithms only: ``none`` and every HS* are refused before any key is touched,
#: which also defeats HS256 "signed" with an issuer's public key as the HMAC secret.
ALGORITHMS: Final = ("ES256", "RS256")
MAX_TOKEN_LENGTH: Final = 8192
OWN_KEYS_REFRESH_SECONDS: Final = 1.0
OWN_KEYS_MAX_AGE_SECONDS: Final = 60.0
#: The longest a token may be valid (exp - iat) unless AuthSettings says otherwise.
DEFAULT_MAX_TOKEN_LIFETIME: Final = 24 * 3600
#: NumericDate claims must fall in 1970-01-01T00:00:00Z..9999-12-31T23:59:59Z.
MAX_NUMERIC_DATE: Final = 253_402_300_799
#: Deepest nesting of arrays and objects in a token's claims (real ones nest 3 or 4 deep).
MAX_CLAIMS_DEPTH: Final = 32
_TIME_CLAIMS: Final = ("exp", "iat", "nbf")
_ACCESS_TOKEN_TYPES: Final = ("at+jwt", "application/at+jwt")
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


@dataclass(frozen=True, slots=True)
class Issuer:
    """An issuer the validator trusts: its identifier, the audience its tokens must name,
    its keys, and (for the hub's own) where to check that the client is not revoked."""

    issuer: str
    audience: str
    keys: CachedKeys
    clients: ClientStatus | None = None
    grants: GrantStatus | None = None


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
        return cls(
            [own, *others],
            leeway=auth.leeway_seconds,
            max_lifetime=auth.max_token_lifetime_seconds,
            clock=clock,
            on_close=sessions.close,
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
        header, unverified = read_unverified(token)
        alg, kid = self._check_header(header)
        issuer = self._issuer(unverified)
        key = await self._key(issuer, kid, alg, at)
        claims = verify(token, key, alg, kid)
        self._check_claims(claims, issuer, at)
        principal = principal_from(claims)
        await self._check_client(issuer, principal, at)
        return principal

    def _check_header(self, header: dict[str, Any]) -> tuple[str, str]:
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

    def _issuer(self, unverified: dict[str, Any]) -> Issuer:
        iss = unverified.get("iss")
        if not isinstance(iss, str):
            raise AuthError.invalid_token("the token has no iss claim")
        issuer = self.issuers.get(iss)
        if issuer is None:
            raise AuthError.invalid_token(f"issuer {shown(iss)} is not trusted here")
        return issuer

    async def _key(self, issuer: Issuer, kid: str, alg: str, now: float) -> Key:
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

    def _check_claims(self, claims: dict[str, Any], issuer: Issuer, now: float) -> None:
        for name in _TIME_CLAIMS:
            check_numeric_date(name, claims.get(name))
        registry = JWTClaimsRegistry(
            now=int(now),
            leeway=self.leeway,
            iss={"essential": True, "value": issuer.issuer},
            aud={"essential": True, "value": issuer.audience},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise AuthError.invalid_token(
                f"the token expired at {_iso(claims['exp'])} (leeway {self.leeway} s)"
            ) from None
        except MissingClaimError as exc:
            raise AuthError.invalid_token(f"the token has no {exc.claim} claim") from None
        except InvalidClaimError as exc:
            raise AuthError.invalid_token(_claim_problem(exc.claim, claims, issuer)) from None
        self._check_lifetime(claims, now)

    def _check_lifetime(self, claims: dict[str, Any], now: float) -> None:
        """exp - iat (exp - now without iat) within the maximum: a leaked token of an
        issuer that signs for years must not be usable for years."""
        iat = claims.get("iat")
        lifetime = claims["exp"] - (now if iat is None else iat)
        if lifetime > self.max_lifetime:
            span = "exp - now" if iat is None else "exp - iat"
            raise AuthError.invalid_token(
                f"the token is valid for {_duration(lifetime)} ({span}), longer than the"
                f" {_duration(self.max_lifetime)} accepted here"
            )

    async def _check_client(self, issuer: Issuer, principal: Principal, now: float) -> None:
        if issuer.clients is None:
            return
        if principal.client_id == CLI_CLIENT_ID:
            if principal.nik is None:
                raise AuthError.invalid_token(f"a {CLI_CLIENT_ID} token must be a citizen's")
            return
        try:
            problem = await issuer.clients.problem(principal.client_id, now)
        except StatusUnavailable:
            raise AuthError.unavailable("client revocations cannot be checked now") from None
        if problem is not None:
            raise AuthError.invalid_token(problem)
        if principal.grant_id is not None and issuer.grants is not None:
            try:
                problem = await issuer.grants.problem(principal.grant_id, now)
            except StatusUnavailable:
                raise AuthError.unavailable("sign-in revocations cannot be checked now") from None
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
        if json_depth(payload) > MAX_CLAIMS_DEPTH:
            raise AuthError.invalid_token(
                f"the token's claims nest deeper than {MAX_CLAIMS_DEPTH} levels"
            )
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


def principal_from(claims: dict[str, Any]) -> Principal:
    """Step 8: the principal of verified, validated claims."""
    client_id = claims.get("client_id", claims.get("azp"))
    if not isinstance(client_id, str) or not client_id:
        raise AuthError.invalid_token("the token has no client_id claim")
    scope = claims.get("scope", "")
    try:
        if not isinstance(scope, str):
            raise ScopeSyntaxError("the scope claim must be a space-separated string")
        scopes = parse_scope(scope) if scope else frozenset[str]()
    except ScopeSyntaxError as exc:
        raise AuthError.invalid_token(str(exc)) from None
    nik = claims.get("nik")
    if nik is not None:
        if not isinstance(nik, str):
            raise AuthError.invalid_token("the nik claim must be a string of 16 digits")
        try:
            nik = str(NIK.parse(nik))
        except InvalidNIK as exc:
            raise AuthError.invalid_token(f"the nik claim is not a NIK ({exc.rule})") from None
    purpose = claims.get("purpose")
    if purpose is not None:
        try:
            if not isinstance(purpose, str):
                raise ScopeSyntaxError("not a string")
            check_purpose_code(purpose)
        except ScopeSyntaxError:
            raise AuthError.invalid_token("the purpose claim is not a purpose code") from None
    grant_id = claims.get("sid")
    if grant_id is not None and (not isinstance(grant_id, str) or not grant_id):
        raise AuthError.invalid_token("the sid claim must be a non-empty string")
    consent_id = claims.get("consent_id")
    if consent_id is not None and (not isinstance(consent_id, str) or not consent_id):
        raise AuthError.invalid_token("the consent_id claim must be a non-empty string")
    return Principal(
        issuer=claims["iss"],
        subject=claims["sub"],
        client_id=client_id,
        scopes=scopes,
        nik=nik,
        purpose=purpose,
        token_id=claims["jti"],
        expires_at=int(claims["exp"]),
        grant_id=grant_id,
        consent_id=consent_id,
    )


def check_numeric_date(name: str, value: object) -> None:
    """Part of step 7: a time claim, if present, is a finite JSON number in 1970..9999.

    NaN passes every comparison (a NaN ``exp`` never expires), Infinity and huge numbers
    cannot be shown as dates, and a boolean is a number to Python: all are refused here,
    with the claim named, before any comparison with the clock.
    """
    if value is None:
        return  # absent: the claims registry says whether it had to be there
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AuthError.invalid_token(
            f"the {name} claim must be a NumericDate (seconds since 1970 as a JSON number),"
            f" not {_json_kind(value)}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        shown_as = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        raise AuthError.invalid_token(
            f"the {name} claim must be a NumericDate (seconds since 1970 as a JSON number),"
            f" not {shown_as}"
        )
    if not 0 <= value <= MAX_NUMERIC_DATE:
        raise AuthError.invalid_token(
            f"the {name} claim is out of range: a NumericDate falls between 1970 and 9999"
        )


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _duration(seconds: float) -> str:
    """Exact, in the largest unit that divides it: 24 h, 3650 days, 15 min, 86401 s."""
    if seconds != int(seconds):
        return f"{seconds:.1f} s"
    whole = int(seconds)
    for unit, name in ((86400, "days"), (3600, "h"), (60, "min")):
        if whole >= 2 * unit and whole % unit == 0:
            return f"{whole // unit} {name}"
    return f"{whole} s"


def _claim_problem(claim: str, claims: dict[str, Any], issuer: Issuer) -> str:
    if claim == "nbf":
        return f"the token is not valid before {_iso(claims['nbf'])}"
    if claim == "iat":
        return f"the token was issued in the future ({_iso(claims['iat'])})"
    if claim == "aud":
        return f"the token is for audience {shown(claims.get('aud'))}, not {issuer.audience}"
    return f"the token's {claim} claim is invalid"


def _iso(timestamp: object) -> str:
    """A claimed time for an error message; never raises, whatever the token holds."""
    if isinstance(timestamp, int | float) and not isinstance(timestamp, bool):
        try:
            return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (ValueError, OverflowError, OSError):
            return "an impossible time"
    return shown(timestamp)


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
