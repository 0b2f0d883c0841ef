"""The disclosure log against forgery (issue 9), on a real PostgreSQL.

- its writer, ``citizen_hub_app``, cannot INSERT a row of its own making, nor hash one
  in the database: it appends only through ``disclosures_append``, which numbers the
  rows itself and checks their link, time and hashes (test_writer.py);
- logged in as that role (its own DSN), ``RESET ROLE`` leaves it that role;
- the signed checkpoints kept outside the database catch what the owner or a superuser
  does to a chain (test_checkpoints.py).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from connectors.base import Source
from hub.audit import (
    APP_ROLE,
    DisclosureLog,
    HubPool,
    create_audit_pool,
)
from hub.audit.checkpoint import Checkpoint
from hub.databases import resolve
from hub.settings import Settings
from tests.conftest import ScratchDatabases
from tests.integration.audit.support import (
    NIKS,
    verify,
    write_chain,
)

# --- the writer may only append, through the function ---------------------------------


FORGED_INSERT = (
    "INSERT INTO disclosures (seq, at, request_id, client_id, subject, purpose, nik,"
    " sources, fields, prev_hash, row_hash) VALUES (1000, '2020-01-01', 'forged', 'other',"
    " 'client:other', 'x', '3671000000000001', '{}', '{}', $1, $1)"
)


async def test_the_writer_cannot_insert_a_row_of_its_own(
    app_pool: HubPool, owner: asyncpg.Connection[Any], hub_dsn: str
) -> None:
    await write_chain(DisclosureLog(app_pool), requests=1)
    fallback = await create_audit_pool(hub_dsn, min_size=1, max_size=1)  # SET ROLE
    try:
        for writer in (app_pool, fallback):
            async with writer.acquire() as conn:
                assert await conn.fetchval("SELECT current_user") == APP_ROLE
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(FORGED_INSERT, bytes(32))
                # ... nor hash one with the database's own functions
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.fetchval(
                        "SELECT disclosure_row_hash($1, now(), 'r', 'c', 's', 'p', 'n',"
                        " '{}', '{}')",
                        bytes(32),
                    )
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.fetchval(
                        "SELECT disclosure_row_hash_v2($1, 'w', now(), 'r', 'c', 's', 'p',"
                        " NULL, 'n', '{}', '{}')",
                        bytes(32),
                    )
    finally:
        await fallback.close()
    assert await owner.fetchval("SELECT count(*) FROM disclosures") == 2
    assert (await verify(owner)).intact


async def test_reset_role_leaves_the_writer_its_own_role(
    app_pool: HubPool, owner: asyncpg.Connection[Any]
) -> None:
    async with app_pool.acquire() as conn:
        await conn.execute("RESET ROLE")
        assert await conn.fetchval("SELECT session_user") == APP_ROLE
        assert await conn.fetchval("SELECT current_user") == APP_ROLE
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(FORGED_INSERT, bytes(32))
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("SET ROLE postgres")


async def test_the_append_function_is_the_only_way_in(
    app_pool: HubPool, owner: asyncpg.Connection[Any]
) -> None:
    procs = await owner.fetch(
        "SELECT p.prosecdef, p.proconfig, p.proargnames, pg_get_userbyid(p.proowner) AS owner,"
        " has_function_privilege($1, p.oid, 'EXECUTE') AS app_may,"
        " has_function_privilege('public', p.oid, 'EXECUTE') AS public_may"
        " FROM pg_proc p WHERE p.proname = 'disclosures_append'",
        APP_ROLE,
    )
    [proc] = procs  # the single chain's append, with its lock, is gone
    assert proc["prosecdef"]  # runs as its owner, the role that migrated
    assert proc["owner"] == await owner.fetchval("SELECT current_user")
    assert any(c.startswith("search_path=pg_catalog, ") for c in proc["proconfig"])
    # No seq nor position: the function numbers the rows after the writer's head.
    assert proc["proargnames"] == ["p_writer", "p_prev", "p_at", "p_rows"]
    assert proc["app_may"] and not proc["public_may"]
    log = DisclosureLog(app_pool)
    await write_chain(log, requests=2)
    rows = await owner.fetch("SELECT seq, writer, writer_seq FROM disclosures ORDER BY seq")
    assert [(r["seq"], r["writer"], r["writer_seq"]) for r in rows] == [
        (n, log.writer.writer_id, n) for n in range(1, 5)
    ]


async def test_the_writer_login_writes_and_reads_the_log(
    app_pool: HubPool, owner: asyncpg.Connection[Any]
) -> None:
    log = DisclosureLog(app_pool)
    await write_chain(log, requests=3)
    seen = await log.access_log([NIKS[0]], last=5)
    assert [e.request_id for e in seen[NIKS[0]]] == ["req-0"]
    assert (await log.verify()).rows == 6


async def test_an_audit_dsn_that_may_write_directly_is_warned_about(
    hub_dsn: str, owner: asyncpg.Connection[Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="hub.audit.pool"):
        superuser = await create_audit_pool(hub_dsn, audit_dsn=hub_dsn, min_size=1, max_size=1)
        await superuser.close()
    assert "can write disclosures directly (a superuser)" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="hub.audit.pool"):
        fallback = await create_audit_pool(hub_dsn, min_size=1, max_size=1)
        await fallback.close()
    assert "RESET ROLE undoes" in caplog.text


# --- the embedded server ---------------------------------------------------------------


async def test_the_embedded_hub_gets_a_login_for_the_writer(
    test_databases: ScratchDatabases, tmp_path: Path
) -> None:
    dsns = await test_databases.create("embedded_audit")
    settings = Settings(data_dir=tmp_path, source_dsns={s: dsns[s] for s in Source})
    databases = await resolve(settings)
    try:
        audit_dsn = databases.settings.audit.dsn
        assert audit_dsn is not None and audit_dsn.startswith(f"postgresql://{APP_ROLE}@/hub?")
        conn = await asyncpg.connect(audit_dsn)
        try:
            assert await conn.fetchval("SELECT session_user") == APP_ROLE
        finally:
            await conn.close()
    finally:
        databases.stop()


def test_checkpoint_times_are_utc_microseconds() -> None:
    at = datetime(2025, 1, 31, 8, 0, 0, 5, tzinfo=UTC)
    assert Checkpoint("c", 1, bytes(32), at).claims()["at"] == "2025-01-31T08:00:00.000005Z"
