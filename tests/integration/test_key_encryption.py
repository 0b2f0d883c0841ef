"""Private signing keys encrypted at rest under the key-encryption key (issue 9)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest

from connectors.base import Source
from hub.auth import KeyStoreError, TokenValidator
from hub.auth.clients import add_client
from hub.auth.tokens import issue_client_token, signing_keys
from hub.migrate import migrate_dsn
from hub.settings import AuthSettings
from tests.conftest import ScratchDatabases

T0 = float(int(time.time()))


def kek_text(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode().rstrip("=")


async def test_keys_in_clear_are_sealed_once_a_key_encryption_key_is_set(
    test_databases: ScratchDatabases,
) -> None:
    dsn = (await test_databases.create("kek_reseal"))["hub"]
    await migrate_dsn(dsn)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    plain = AuthSettings()
    sealed = AuthSettings(key_encryption_key=secrets.token_bytes(32))
    validator = TokenValidator.from_settings(sealed, pool, clock=lambda: T0)
    try:
        async with pool.acquire() as conn:
            kid = await signing_keys(plain).ensure(conn)  # the demo's: in clear
            client, _ = await add_client(conn, "Dinsos", ["siak:profile"], {})
            stored = await conn.fetchval("SELECT private_jwk FROM oauth_signing_keys")
        assert "d" in json.loads(stored)  # the private member, in clear
        before = await issue_client_token(pool, plain, client.client_id, now=T0)

        async with pool.acquire() as conn:
            assert await signing_keys(sealed).ensure(conn) == kid  # seals what is in clear
            await signing_keys(sealed).rotate(conn)
            stored_all = await conn.fetch("SELECT private_jwk FROM oauth_signing_keys")
        for row in stored_all:
            assert set(json.loads(row["private_jwk"])) == {"jwe"}
            assert '"d"' not in row["private_jwk"]

        after = await issue_client_token(pool, sealed, client.client_id, now=T0)
        for token in (before, after):
            principal = await validator.authenticate("Bearer " + token.access_token)
            assert principal.client_id == client.client_id

        # Without the key: no signing, and no new key in clear beside the sealed ones.
        with pytest.raises(KeyStoreError, match=r"is sealed; set auth\.key_encryption_key"):
            await issue_client_token(pool, plain, client.client_id)
        async with pool.acquire() as conn:
            with pytest.raises(KeyStoreError, match=r"sealed; set .* so a new one is too"):
                await signing_keys(plain).rotate(conn)
        wrong = AuthSettings(key_encryption_key=secrets.token_bytes(32))
        with pytest.raises(KeyStoreError, match=r"cannot be unsealed: auth\.key_encryption_key"):
            await issue_client_token(pool, wrong, client.client_id)
    finally:
        await validator.close()
        await pool.close()


def serve(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_HUB_")}
    return subprocess.run(
        [sys.executable, "-m", "hub", "serve", "--port", "0"],
        cwd=cwd,
        env={**clean, **env, "PYTHONPATH": str(Path(__file__).parents[2])},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_serve_without_a_key_encryption_key_refuses_in_one_line(tmp_path: Path) -> None:
    done = serve({}, tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(
        "citizen-hub: setting auth.key_encryption_key: is not set (nor"
        " CITIZEN_HUB_KEY_ENCRYPTION_KEY)"
    )
    assert not (tmp_path / ".data").exists()  # refused before starting anything


async def test_serve_with_the_wrong_key_encryption_key_refuses_in_one_line(
    test_databases: ScratchDatabases, tmp_path: Path
) -> None:
    dsns = await test_databases.create("kek_serve")
    await migrate_dsn(dsns["hub"])
    conn = await asyncpg.connect(dsns["hub"])
    try:
        await signing_keys(AuthSettings(key_encryption_key=secrets.token_bytes(32))).ensure(conn)
    finally:
        await conn.close()
    env = {f"CITIZEN_HUB_{s.name}_DSN": dsns[s] for s in Source}
    env["CITIZEN_HUB_HUB_DSN"] = dsns["hub"]
    env["CITIZEN_HUB_KEY_ENCRYPTION_KEY"] = kek_text(secrets.token_bytes(32))
    done = await asyncio.to_thread(serve, env, tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "cannot be unsealed: auth.key_encryption_key" in done.stderr
