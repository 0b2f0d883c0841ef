"""The resource server on real keys: the hub's own (from its database) and a second issuer
whose JWKS is served over HTTP on loopback. Every forgery and misfit is refused, with the
error a client can act on; time is moved by passing ``now``, never by sleeping."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import asyncpg
import pytest
from joserfc.jwk import ECKey

from hub.auth import CITIZEN_SCOPES, CLI_CLIENT_ID, AuthError, TokenValidator
from hub.auth.clients import add_client, add_purpose, revoke_client
from hub.auth.clients_status import HubClientStatus
from hub.auth.tokens import issue_citizen_token, issue_client_token, signing_keys
from hub.migrate import migrate
from hub.settings import AuthSettings, TrustedIssuer
from tests.conftest import ScratchDatabases
from tests.oauth_support import (
    CITIZEN_NIK,
    JWKSServer,
    claims_for,
    ec_key,
    hs256_with_public_key,
    sign,
    unsigned,
)

SSO = "https://sso.tangerangkota.example/realms/warga"
T0 = float(int(time.time()))


@dataclass
class Setup:
    pool: asyncpg.Pool
    auth: AuthSettings
    sso: JWKSServer
    hub_key: ECKey  # the hub's active private key, to sign misfit claims with the real key
    client_id: str


@pytest.fixture(scope="module")
async def setup(test_databases: ScratchDatabases) -> AsyncIterator[Setup]:
    dsn = (await test_databases.create("oauth_validation"))["hub"]
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    sso = JWKSServer()
    await sso.server.start_server()
    sso.keys.append(ec_key())
    auth = AuthSettings(issuers=(TrustedIssuer(SSO, sso.url),))
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
            await signing_keys(auth).ensure(conn)
            hub_key = await signing_keys(auth).active(conn)
            await add_purpose(conn, "ppdb", "school admission checks")
            client, _ = await add_client(
                conn, "Dinas Pendidikan", ["psb:read"], {"ppdb": ["psb:read"]}
            )
        assert isinstance(hub_key, ECKey)
        yield Setup(pool, auth, sso, hub_key, client.client_id)
    finally:
        await sso.server.close()
        await pool.close()


@pytest.fixture
async def validator(setup: Setup) -> AsyncIterator[TokenValidator]:
    """A fresh validator (empty caches) whose clock stands at T0."""
    validator = TokenValidator.from_settings(setup.auth, setup.pool, clock=lambda: T0)
    try:
        yield validator
    finally:
        await validator.close()


def hub_claims(setup: Setup, **changes: Any) -> dict[str, Any]:
    return claims_for(
        setup.auth.issuer,
        setup.auth.audience,
        T0,
        **{"sub": setup.client_id, "client_id": setup.client_id, **changes},
    )


async def refused(validator: TokenValidator, token: str, now: float = T0) -> AuthError:
    with pytest.raises(AuthError) as caught:
        await validator.authenticate("Bearer " + token, now=now)
    assert caught.value.status == 401
    assert caught.value.error == "invalid_token"
    return caught.value


async def test_a_client_token_from_the_hub_is_accepted(
    setup: Setup, validator: TokenValidator
) -> None:
    issued = await issue_client_token(
        setup.pool, setup.auth, setup.client_id, purpose="ppdb", now=T0
    )
    principal = await validator.authenticate("Bearer " + issued.access_token)
    assert (principal.issuer, principal.subject) == ("urn:citizen-hub", setup.client_id)
    assert principal.scopes == {"psb:read"}
    assert principal.purpose == "ppdb"
    assert principal.token_id == issued.claims["jti"]


async def test_a_citizen_token_carries_the_nik_but_not_as_its_subject(
    setup: Setup, validator: TokenValidator
) -> None:
    issued = await issue_citizen_token(setup.pool, setup.auth, "3671 0141 0790 0003", now=T0)
    principal = await validator.authenticate("Bearer " + issued.access_token)
    assert principal.nik == CITIZEN_NIK
    assert principal.client_id == CLI_CLIENT_ID
    assert principal.subject.startswith("citizen:")
    assert CITIZEN_NIK not in principal.subject
    assert principal.scopes == CITIZEN_SCOPES
    again = await issue_citizen_token(setup.pool, setup.auth, CITIZEN_NIK, now=T0)
    assert again.claims["sub"] == principal.subject  # a stable pseudonym


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (T0 + 900 + 31, "the token expired at"),  # 900 s lifetime, 30 s leeway
        (T0 - 31, "the token was issued in the future"),
    ],
)
async def test_time_bounds_hold_with_the_leeway(
    setup: Setup, validator: TokenValidator, when: float, expected: str
) -> None:
    issued = await issue_client_token(setup.pool, setup.auth, setup.client_id, now=T0)
    assert await validator.authenticate("Bearer " + issued.access_token, now=T0 + 900 + 29)
    assert await validator.authenticate("Bearer " + issued.access_token, now=T0 - 29)
    assert (await refused(validator, issued.access_token, when)).description.startswith(expected)


async def test_a_not_yet_valid_token_is_refused(setup: Setup, validator: TokenValidator) -> None:
    token = sign(setup.hub_key, hub_claims(setup, nbf=int(T0) + 120))
    error = await refused(validator, token)
    assert error.description.startswith("the token is not valid before")
    assert await validator.authenticate("Bearer " + token, now=T0 + 100)  # within the leeway


async def test_forgeries_are_refused(setup: Setup, validator: TokenValidator) -> None:
    claims = hub_claims(setup)
    kid = setup.hub_key.kid
    assert kid is not None
    public = ECKey.import_key(setup.hub_key.as_dict(private=False))
    impostor = ec_key()
    cases = {
        # signed by another key under the hub's kid
        sign(impostor, claims, kid=kid): f"the signature does not verify with key {kid}",
        # the signature of another token pasted on
        sign(setup.hub_key, claims).rsplit(".", 1)[0]
        + "."
        + sign(setup.hub_key, hub_claims(setup)).rsplit(".", 1)[1]: "the signature does not",
        unsigned(claims, kid): "alg none is not accepted (only ES256, RS256)",
        hs256_with_public_key(public, claims): "alg HS256 is not accepted (only ES256, RS256)",
        "not-a-jwt": "the token is not a JWT",
        "a.b.c.d.e": "encrypted tokens (JWE) are not accepted",
    }
    for token, expected in cases.items():
        assert (await refused(validator, token)).description.startswith(expected), token


@pytest.mark.parametrize(
    ("changes", "header", "expected"),
    [
        ({"iss": "https://evil.example"}, {}, "issuer https://evil.example is not trusted here"),
        ({"aud": "another-api"}, {}, "the token is for audience another-api, not citizen-hub"),
        ({"aud": ["another-api", "billing"]}, {}, "the token is for audience ['another-api'"),
        ({}, {"typ": "JWT"}, "typ JWT is not at+jwt"),
        ({}, {"kid": "no-such-kid"}, "key no-such-kid is not published by issuer urn:citizen-hub"),
        ({"exp": None}, {}, "the token has no exp claim"),
        ({"client_id": CLI_CLIENT_ID}, {}, f"a {CLI_CLIENT_ID} token must be a citizen's"),
        ({"client_id": "ch_never_registered"}, {}, "client ch_never_registered is not registered"),
    ],
)
async def test_misfit_tokens_signed_with_the_real_key_are_refused(
    setup: Setup,
    validator: TokenValidator,
    changes: dict[str, Any],
    header: dict[str, Any],
    expected: str,
) -> None:
    token = sign(setup.hub_key, hub_claims(setup, **changes), **header)
    assert (await refused(validator, token)).description.startswith(expected)


async def test_a_wrong_issuer_with_its_own_key_is_refused(validator: TokenValidator) -> None:
    stranger = ec_key()
    token = sign(stranger, claims_for("https://evil.example", "citizen-hub", T0))
    assert (await refused(validator, token)).description == (
        "issuer https://evil.example is not trusted here"
    )


async def test_a_revoked_clients_tokens_stop_within_the_cache_time(
    setup: Setup, validator: TokenValidator
) -> None:
    async with setup.pool.acquire() as conn:
        client, _ = await add_client(conn, "Short-lived partner", ["psb:read"], {})
    issued = await issue_client_token(setup.pool, setup.auth, client.client_id, now=T0)
    bearer = "Bearer " + issued.access_token
    assert await validator.authenticate(bearer)
    async with setup.pool.acquire() as conn:
        await revoke_client(conn, client.client_id)
    assert await validator.authenticate(bearer, now=T0 + 9)  # cached for 10 s
    error = await refused(validator, issued.access_token, now=T0 + 10)
    assert error.description.startswith(f"client {client.client_id} was revoked on ")


async def test_concurrent_requests_share_one_key_read_and_one_revocation_check(
    setup: Setup, validator: TokenValidator
) -> None:
    """The validator is on every request's path: a burst of requests on cold (or expired)
    caches costs one read of the keys and one of the client's status, not one each."""
    own = validator.issuers[setup.auth.issuer]
    assert isinstance(own.clients, HubClientStatus)
    bearer = "Bearer " + sign(setup.hub_key, hub_claims(setup))
    for now in (T0, T0 + 10):  # cold caches, then the client's status expired (10 s)
        await asyncio.gather(*(validator.authenticate(bearer, now=now) for _ in range(20)))
    assert own.keys.fetches == 1
    assert own.clients.queries == 2


async def test_tokens_of_a_second_issuer_are_accepted(
    setup: Setup, validator: TokenValidator
) -> None:
    (sso_key,) = setup.sso.keys
    claims = claims_for(
        SSO, "citizen-hub", T0, sub="f3a1-warga", client_id=None, azp="super-app", nik=CITIZEN_NIK
    )
    principal = await validator.authenticate("Bearer " + sign(sso_key, claims))
    assert (principal.issuer, principal.subject, principal.client_id) == (
        SSO,
        "f3a1-warga",
        "super-app",
    )
    assert principal.nik == CITIZEN_NIK
    wrong_audience = sign(sso_key, claims_for(SSO, "another-api", T0))
    assert (await refused(validator, wrong_audience)).description.startswith(
        "the token is for audience"
    )


async def test_an_unknown_kid_refetches_the_issuers_jwks_once_rate_limited(
    setup: Setup, validator: TokenValidator
) -> None:
    sso = setup.sso
    (old_key,) = sso.keys
    start = sso.fetches
    assert await validator.authenticate(
        "Bearer " + sign(old_key, claims_for(SSO, "citizen-hub", T0))
    )
    assert sso.fetches == start + 1
    new_key = ec_key()
    sso.keys.append(new_key)  # the SSO rotates
    try:
        fresh = sign(new_key, claims_for(SSO, "citizen-hub", T0))
        # fetched less than jwks_refresh_seconds (60) ago: the unknown kid is refused, no fetch
        assert (await refused(validator, fresh, now=T0 + 30)).description.startswith("key ")
        assert sso.fetches == start + 1
        assert await validator.authenticate("Bearer " + fresh, now=T0 + 60)  # one refetch
        assert sso.fetches == start + 2
        for offset in (61, 62, 90):  # made-up kids: refused, and no refetch before T0 + 120
            made_up = sign(ec_key(), claims_for(SSO, "citizen-hub", T0))
            await refused(validator, made_up, now=T0 + offset)
        assert sso.fetches == start + 2
        await refused(validator, sign(ec_key(), claims_for(SSO, "citizen-hub", T0)), now=T0 + 120)
        assert sso.fetches == start + 3
    finally:
        sso.keys.remove(new_key)


async def test_an_unreachable_jwks_is_a_503_not_a_bad_token(
    setup: Setup, validator: TokenValidator
) -> None:
    (sso_key,) = setup.sso.keys
    setup.sso.status = 500
    try:
        with pytest.raises(AuthError) as caught:
            await validator.authenticate(
                "Bearer " + sign(sso_key, claims_for(SSO, "citizen-hub", T0))
            )
    finally:
        setup.sso.status = 200
    assert (caught.value.status, caught.value.error) == (503, "temporarily_unavailable")
    assert caught.value.www_authenticate == 'Bearer realm="citizen-hub"'


async def test_a_second_issuer_may_require_its_own_audience(setup: Setup) -> None:
    auth = replace(setup.auth, issuers=(TrustedIssuer(SSO, setup.sso.url, "hub-warga"),))
    validator = TokenValidator.from_settings(auth, setup.pool, clock=lambda: T0)
    try:
        (sso_key,) = setup.sso.keys
        assert await validator.authenticate(
            "Bearer " + sign(sso_key, claims_for(SSO, "hub-warga", T0))
        )
        token = sign(sso_key, claims_for(SSO, "citizen-hub", T0))
        assert (await refused(validator, token)).description == (
            "the token is for audience citizen-hub, not hub-warga"
        )
    finally:
        await validator.close()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"iat": math.nan}, "the iat claim must be a NumericDate"),
        ({"nbf": math.nan}, "the nbf claim must be a NumericDate"),
        ({"iat": math.inf}, "the iat claim must be a NumericDate"),
        ({"nbf": -math.inf}, "the nbf claim must be a NumericDate"),
        ({"exp": math.nan}, "the exp claim must be a NumericDate"),
        ({"iat": str(int(T0))}, "the iat claim must be a NumericDate"),
        ({"nbf": False}, "the nbf claim must be a NumericDate"),
        ({"exp": 10**20}, "the exp claim is out of range"),
        ({"iat": 10**20}, "the iat claim is out of range"),
        ({"exp": int(T0) + 10 * 365 * 86400}, "the token is valid for 3650 days (exp - iat)"),
        ({"iat": int(T0) + 3600}, "the token was issued in the future"),
    ],
)
async def test_hub_signed_tokens_with_impossible_times_are_refused_not_crashed(
    setup: Setup, validator: TokenValidator, changes: dict[str, Any], expected: str
) -> None:
    """Signed with the hub's real key, so only the time checks stand in the way."""
    token = sign(setup.hub_key, hub_claims(setup, **changes))
    assert (await refused(validator, token)).description.startswith(expected)


async def test_the_maximum_lifetime_comes_from_the_settings(setup: Setup) -> None:
    issued = await issue_client_token(setup.pool, setup.auth, setup.client_id, now=T0)  # 900 s
    strict = replace(setup.auth, max_token_lifetime_seconds=600)
    validator = TokenValidator.from_settings(strict, setup.pool, clock=lambda: T0)
    try:
        assert validator.max_lifetime == 600
        error = await refused(validator, issued.access_token)
        assert error.description == (
            "the token is valid for 15 min (exp - iat), longer than the 10 min accepted here"
        )
        (sso_key,) = setup.sso.keys  # the same bound for every issuer
        day = claims_for(SSO, "citizen-hub", T0, exp=int(T0) + 86400)
        assert (await refused(validator, sign(sso_key, day))).description.startswith(
            "the token is valid for 24 h"
        )
    finally:
        await validator.close()
