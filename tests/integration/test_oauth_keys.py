"""Signing keys in the hub database: one created on first run (even by two hubs at once),
rotation keeps old tokens valid until their key is retired, and sealed keys stay sealed."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import asyncpg
import pytest
from joserfc import jws

from hub.auth import AuthError, KeyStoreError, TokenValidator
from hub.auth.clients import add_client
from hub.auth.keys import published_jwks
from hub.auth.tokens import issue_client_token, signing_keys
from hub.migrate import migrate
from hub.settings import AuthSettings
from tests.conftest import ScratchDatabases

T0 = float(int(time.time()))


async def fresh_pool(test_databases: ScratchDatabases, label: str) -> asyncpg.Pool:
    dsn = (await test_databases.create(label))["hub"]
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=4)
    async with pool.acquire() as conn:
        await migrate(conn)
    return pool


@pytest.fixture(scope="module")
async def pool(test_databases: ScratchDatabases) -> AsyncIterator[asyncpg.Pool]:
    pool = await fresh_pool(test_databases, "oauth_keys")
    try:
        yield pool
    finally:
        await pool.close()


def kid_of(token: str) -> str:
    kid: str = jws.extract_compact(token.encode()).headers()["kid"]
    return kid


async def test_two_hubs_starting_together_create_one_key(pool: asyncpg.Pool) -> None:
    keys = signing_keys(AuthSettings())

    async def start() -> str:
        async with pool.acquire() as conn:
            return await keys.ensure(conn)

    first, second = await asyncio.gather(start(), start())
    assert first == second
    async with pool.acquire() as conn:
        assert [k["kid"] for k in await published_jwks(conn)] == [first]


async def test_rotation_keeps_old_tokens_valid_until_the_old_key_is_retired(
    pool: asyncpg.Pool,
) -> None:
    auth = AuthSettings()
    keys = signing_keys(auth)
    async with pool.acquire() as conn:
        old_kid = await keys.ensure(conn)
        client, _ = await add_client(conn, "Dinas Sosial", ["siak:profile"], {})
    old_token = (await issue_client_token(pool, auth, client.client_id, now=T0)).access_token
    validator = TokenValidator.from_settings(auth, pool, clock=lambda: T0)
    try:
        assert await validator.authenticate("Bearer " + old_token)

        async with pool.acquire() as conn:
            new_kid = await keys.rotate(conn, "RS256")
            assert [k["kid"] for k in await published_jwks(conn)] == [new_kid, old_kid]
        new_token = (await issue_client_token(pool, auth, client.client_id, now=T0)).access_token
        assert kid_of(new_token) == new_kid
        assert jws.extract_compact(new_token.encode()).headers()["alg"] == "RS256"
        # the new kid is unknown to this validator: it rereads the hub's keys (once a second)
        assert await validator.authenticate("Bearer " + new_token, now=T0 + 1)
        assert await validator.authenticate("Bearer " + old_token, now=T0 + 1)

        async with pool.acquire() as conn:
            with pytest.raises(KeyStoreError, match="is the active key; run 'citizen-hub keys"):
                await keys.retire(conn, new_kid)
            await keys.retire(conn, old_kid)
            with pytest.raises(KeyStoreError, match="is already retired"):
                await keys.retire(conn, old_kid)
            with pytest.raises(KeyStoreError, match="no signing key nope"):
                await keys.retire(conn, "nope")
            assert [k["kid"] for k in await published_jwks(conn)] == [new_kid]
            listed = await keys.list(conn)
        assert [(k.kid, k.active, k.retired_at is not None) for k in listed] == [
            (new_kid, True, False),
            (old_kid, False, True),
        ]
        # the validator trusts what it read for up to a minute, then rereads
        assert await validator.authenticate("Bearer " + old_token, now=T0 + 60)
        with pytest.raises(AuthError) as caught:
            await validator.authenticate("Bearer " + old_token, now=T0 + 61)
        assert caught.value.description == (
            f"key {old_kid} is not published by issuer urn:citizen-hub"
        )
        assert await validator.authenticate("Bearer " + new_token, now=T0 + 61)
    finally:
        await validator.close()


async def test_sealed_keys_need_their_key_encryption_key(
    test_databases: ScratchDatabases,
) -> None:
    pool = await fresh_pool(test_databases, "oauth_sealed")
    sealed = AuthSettings(key_encryption_key=secrets.token_bytes(32))
    try:
        async with pool.acquire() as conn:
            kid = await signing_keys(sealed).ensure(conn)
            client, _ = await add_client(conn, "Bappeda", ["lpse:read"], {})
            stored = json.loads(
                await conn.fetchval(
                    "SELECT private_jwk FROM oauth_signing_keys WHERE kid = $1", kid
                )
            )
        assert set(stored) == {"jwe"}  # no private member in clear
        token = (await issue_client_token(pool, sealed, client.client_id)).access_token
        assert kid_of(token) == kid

        other = replace(sealed, key_encryption_key=secrets.token_bytes(32))
        with pytest.raises(KeyStoreError, match="cannot be unsealed"):
            await issue_client_token(pool, other, client.client_id)
        with pytest.raises(KeyStoreError, match=r"is sealed; set auth\.key_encryption_key"):
            await issue_client_token(pool, AuthSettings(), client.client_id)
    finally:
        await pool.close()
