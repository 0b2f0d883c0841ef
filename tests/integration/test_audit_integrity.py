"""The disclosure log against forgery (issue 9), on a real PostgreSQL.

- its writer, ``citizen_hub_app``, cannot INSERT a row of its own making, nor hash one:
  it appends only through ``disclosures_append``, which sets seq and time itself;
- logged in as that role (its own DSN), ``RESET ROLE`` leaves it that role;
- a superuser who rewrites the tail and recomputes every hash passes the chain walk,
  but not the signed checkpoints kept outside the database; nor does a cut-off tail;
- a checkpoint line that was tampered with, or signed by a key the hub never had, is
  reported.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
from aiohttp import web
from joserfc import jws

from connectors.base import Source
from hub.audit import (
    APP_ROLE,
    CheckpointWriter,
    DisclosureLog,
    FileSink,
    HubPool,
    checkpoint_context,
    create_audit_pool,
    row_hash,
    take_checkpoint,
    verify_chain,
)
from hub.audit.checkpoint import CHECKPOINT_TYP, Checkpoint, sign_checkpoint
from hub.auth.tokens import signing_keys
from hub.databases import resolve
from hub.embedded import ensure_login_role
from hub.migrate import migrate_dsn
from hub.settings import AuditSettings, AuthSettings, Settings
from tests.conftest import ScratchDatabases
from tests.integration.test_audit import NIKS, write_chain
from tests.oauth_support import ec_key

AUTH = AuthSettings()
# The test server trusts local logins (the embedded one does); elsewhere the role's
# login may need a password, and the tests that log in as it are skipped.


def as_user(dsn: str, user: str) -> str:
    """``dsn`` with another user and no password."""
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{user}@{host}").geturl()


@pytest.fixture(scope="module")
async def hub_dsn(test_databases: ScratchDatabases) -> str:
    dsn = (await test_databases.create("audit_integrity"))["hub"]
    await migrate_dsn(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await signing_keys(AUTH).ensure(conn)
    finally:
        await conn.close()
    return dsn


@pytest.fixture(scope="module")
async def app_dsn(hub_dsn: str, test_databases: ScratchDatabases) -> str:
    """The writer's own login: citizen_hub_app itself, with LOGIN."""
    await ensure_login_role(test_databases.admin_dsn, APP_ROLE)
    dsn = as_user(hub_dsn, APP_ROLE)
    try:
        conn = await asyncpg.connect(dsn)
    except (asyncpg.PostgresError, OSError) as exc:
        pytest.skip(f"cannot log in as {APP_ROLE} on the test server ({type(exc).__name__})")
    await conn.close()
    return dsn


@pytest.fixture
async def owner(hub_dsn: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    """A superuser connection on an empty log (each test starts a new chain)."""
    conn = await asyncpg.connect(hub_dsn)
    await tamper(conn, "TRUNCATE disclosures")
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def pool(
    app_dsn: str, hub_dsn: str, owner: asyncpg.Connection[Any]
) -> AsyncIterator[HubPool]:
    pool = await create_audit_pool(hub_dsn, audit_dsn=app_dsn, min_size=1, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def sink(tmp_path: Path) -> FileSink:
    return FileSink(tmp_path / "checkpoints" / "audit-checkpoints.jsonl")


async def tamper(conn: asyncpg.Connection[Any], *statements: str) -> None:
    async with conn.transaction():
        await conn.execute("ALTER TABLE disclosures DISABLE TRIGGER disclosures_append_only")
        for statement in statements:
            await conn.execute(statement)
        await conn.execute("ALTER TABLE disclosures ENABLE TRIGGER disclosures_append_only")


async def checkpoint(owner: asyncpg.Connection[Any], sink: FileSink) -> Checkpoint:
    taken = await take_checkpoint(owner, AUTH)
    assert taken is not None
    sink.append(taken[1])
    return taken[0]


async def verify(owner: asyncpg.Connection[Any], sink: FileSink | None = None) -> Any:
    lines = None if sink is None else (sink.read() or [])
    return await verify_chain(owner, checkpoint_lines=lines)


async def rewrite_tail(owner: asyncpg.Connection[Any], start: int, purpose: str) -> None:
    """What a superuser who knows the encoding does: change rows from ``start`` on and
    recompute every hash after them, so the chain is consistent again."""
    rows = await owner.fetch("SELECT * FROM disclosures WHERE seq >= $1 ORDER BY seq", start)
    prev = await owner.fetchval("SELECT row_hash FROM disclosures WHERE seq = $1", start - 1)
    async with owner.transaction():
        await owner.execute("ALTER TABLE disclosures DISABLE TRIGGER disclosures_append_only")
        for r in rows:
            new = row_hash(
                prev,
                r["at"],
                r["request_id"],
                r["client_id"],
                r["subject"],
                purpose,
                r["nik"],
                r["sources"],
                r["fields"],
            )
            await owner.execute(
                "UPDATE disclosures SET purpose = $2, prev_hash = $3, row_hash = $4 WHERE seq = $1",
                r["seq"],
                purpose,
                prev,
                new,
            )
            prev = new
        await owner.execute("ALTER TABLE disclosures ENABLE TRIGGER disclosures_append_only")


# --- the writer may only append, through the function ---------------------------------


FORGED_INSERT = (
    "INSERT INTO disclosures (seq, at, request_id, client_id, subject, purpose, nik,"
    " sources, fields, prev_hash, row_hash) VALUES (1000, '2020-01-01', 'forged', 'other',"
    " 'client:other', 'x', '3671000000000001', '{}', '{}', $1, $1)"
)


async def test_the_writer_cannot_insert_a_row_of_its_own(
    pool: HubPool, owner: asyncpg.Connection[Any], hub_dsn: str
) -> None:
    await write_chain(DisclosureLog(pool), requests=1)
    fallback = await create_audit_pool(hub_dsn, min_size=1, max_size=1)  # SET ROLE
    try:
        for writer in (pool, fallback):
            async with writer.acquire() as conn:
                assert await conn.fetchval("SELECT current_user") == APP_ROLE
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(FORGED_INSERT, bytes(32))
                # ... nor hash one with the database's own function
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.fetchval(
                        "SELECT disclosure_row_hash($1, now(), 'r', 'c', 's', 'p', 'n',"
                        " '{}', '{}')",
                        bytes(32),
                    )
    finally:
        await fallback.close()
    assert await owner.fetchval("SELECT count(*) FROM disclosures") == 2
    assert (await verify(owner)).intact


async def test_reset_role_leaves_the_writer_its_own_role(
    pool: HubPool, owner: asyncpg.Connection[Any]
) -> None:
    async with pool.acquire() as conn:
        await conn.execute("RESET ROLE")
        assert await conn.fetchval("SELECT session_user") == APP_ROLE
        assert await conn.fetchval("SELECT current_user") == APP_ROLE
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(FORGED_INSERT, bytes(32))
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("SET ROLE postgres")


async def test_the_append_function_sets_seq_and_time_itself(
    pool: HubPool, owner: asyncpg.Connection[Any]
) -> None:
    proc = await owner.fetchrow(
        "SELECT p.prosecdef, p.proconfig, p.proargnames, pg_get_userbyid(p.proowner) AS owner,"
        " has_function_privilege($1, p.oid, 'EXECUTE') AS app_may,"
        " has_function_privilege('public', p.oid, 'EXECUTE') AS public_may"
        " FROM pg_proc p WHERE p.proname = 'disclosures_append'",
        APP_ROLE,
    )
    assert proc is not None
    assert proc["prosecdef"]  # runs as its owner, the role that migrated
    assert proc["owner"] == await owner.fetchval("SELECT current_user")
    assert any(c.startswith("search_path=pg_catalog, ") for c in proc["proconfig"])
    assert proc["proargnames"] == [
        "p_request_id",
        "p_client_id",
        "p_subject",
        "p_purpose",
        "p_rows",
    ]  # no seq, no time, no hash
    assert proc["app_may"] and not proc["public_may"]

    async with pool.acquire() as conn:
        # A row carrying its own seq or time is refused, not half-read.
        rows: object
        for rows in ([["3671000000000001", [], [], 1000]], [["n", [], []], {"seq": 1}], {}):
            with pytest.raises(asyncpg.InvalidParameterValueError):
                await conn.fetchval(
                    "SELECT disclosures_append($1, $2, $3, $4, $5::jsonb)",
                    "r",
                    "c",
                    "s",
                    "p",
                    json.dumps(rows),
                )
        # Inside a transaction begun earlier, the row still gets the clock's time.
        async with conn.transaction():
            begun = await conn.fetchval("SELECT now()")
            await asyncio.sleep(0.2)
            seq = await conn.fetchval(
                "SELECT disclosures_append('r', 'c', 's', 'p', $1::jsonb)",
                json.dumps([["3671000000000001", ["siak"], ["Citizen.name"]]]),
            )
        after = await conn.fetchval("SELECT clock_timestamp()")
    at = await owner.fetchval("SELECT at FROM disclosures WHERE seq = $1", seq)
    assert seq == 1
    assert (at - begun).total_seconds() >= 0.2
    assert at <= after


async def test_the_writer_login_writes_and_reads_the_log(
    pool: HubPool, owner: asyncpg.Connection[Any]
) -> None:
    log = DisclosureLog(pool)
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


# --- checkpoints outside the database ---------------------------------------------------


async def test_a_rewritten_tail_passes_the_chain_but_not_its_checkpoints(
    pool: HubPool, owner: asyncpg.Connection[Any], sink: FileSink
) -> None:
    log = DisclosureLog(pool)
    await write_chain(log, requests=2)
    first = await checkpoint(owner, sink)  # seq 4
    await write_chain(log, requests=2)
    second = await checkpoint(owner, sink)  # seq 8 (req-0, req-1 again)
    assert (first.seq, second.seq) == (4, 8)
    before = await verify(owner, sink)
    assert before.intact and before.checkpoints == 2
    assert before.last_checkpoint == second

    await rewrite_tail(owner, 6, "penelitian")
    assert (await verify(owner)).intact  # the chain alone cannot tell
    result = await verify(owner, sink)
    assert not result.intact
    assert [(p.seq, p.kind) for p in result.problems] == [(8, "rewritten")]
    assert "a row in seq 5–8 was rewritten" in result.problems[0].detail
    assert result.last_checkpoint == first


async def test_a_tail_cut_off_below_a_checkpoint_is_reported(
    pool: HubPool, owner: asyncpg.Connection[Any], sink: FileSink
) -> None:
    await write_chain(DisclosureLog(pool), requests=3)
    await checkpoint(owner, sink)
    await tamper(owner, "DELETE FROM disclosures WHERE seq > 4")
    assert (await verify(owner)).intact
    result = await verify(owner, sink)
    assert [(p.seq, p.kind) for p in result.problems] == [(6, "truncated")]
    assert "the chain now ends at seq 4" in result.problems[0].detail


def resign(line: str, **changes: Any) -> str:
    """The line with its signed payload (and readable copy) changed, the signature kept."""
    entry = json.loads(line)
    header, _payload, signature = entry["jws"].split(".")
    claims = json.loads(jws.extract_compact(entry["jws"].encode()).payload or b"")
    claims.update(changes)
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return json.dumps({**entry, **changes, "jws": f"{header}.{payload}.{signature}"})


async def test_tampered_or_foreign_checkpoint_lines_are_reported(
    pool: HubPool, owner: asyncpg.Connection[Any], sink: FileSink
) -> None:
    await write_chain(DisclosureLog(pool), requests=2)
    good = await checkpoint(owner, sink)
    line = (sink.read() or [])[0]
    entry = json.loads(line)
    stranger = ec_key()
    foreign = sign_checkpoint(replace(good, seq=3), stranger)
    other_chain = await take_checkpoint(owner, AUTH)
    assert other_chain is not None
    elsewhere = sign_checkpoint(
        replace(other_chain[0], chain="00000000-0000-0000-0000-000000000000"),
        await signing_keys(AUTH).active(owner),
    )
    for text in (
        resign(line, seq=2),  # the payload changed under the signature
        json.dumps({**entry, "seq": 2}),  # the readable copy changed
        foreign,  # signed by a key the hub never had
        elsewhere,  # another chain's
        "{not json",
    ):
        sink.append(text)
    result = await verify(owner, sink)
    assert not result.problems  # the chain itself is fine, and so is line 1
    assert result.checkpoints == 1
    assert [(p.line, p.kind) for p in result.checkpoint_problems] == [
        (2, "bad signature"),
        (3, "bad signature"),
        (4, "unknown key"),
        (5, "other chain"),
        (6, "unreadable"),
    ]
    assert "readable fields differ" in result.checkpoint_problems[1].detail
    assert not result.intact


async def test_a_checkpoint_signed_by_a_key_since_retired_still_holds(
    pool: HubPool, owner: asyncpg.Connection[Any], sink: FileSink, hub_dsn: str
) -> None:
    await write_chain(DisclosureLog(pool), requests=1)
    await checkpoint(owner, sink)
    keys = signing_keys(AUTH)
    old = (await keys.active(owner)).kid
    assert old is not None
    await keys.rotate(owner)
    await keys.retire(owner, old)
    await write_chain(DisclosureLog(pool), requests=1)
    await checkpoint(owner, sink)
    result = await verify(owner, sink)
    assert result.intact and result.checkpoints == 2
    header = jws.extract_compact(json.loads((sink.read() or [])[0])["jws"].encode()).headers()
    assert (header["kid"], header["typ"]) == (old, CHECKPOINT_TYP)


async def test_the_writer_checkpoints_while_started_and_at_stop(
    pool: HubPool, owner: asyncpg.Connection[Any], sink: FileSink, hub_dsn: str
) -> None:
    hub_pool = await asyncpg.create_pool(hub_dsn, min_size=1, max_size=2)
    try:
        writer = CheckpointWriter(hub_pool, AUTH, sink, seconds=0.05)
        assert await writer.write() is None  # an empty log: nothing to checkpoint
        await write_chain(DisclosureLog(pool), requests=1)
        writer.start()
        await asyncio.sleep(0.3)  # several rounds, one head: one line
        assert len(sink.read() or []) == 1
        await write_chain(DisclosureLog(pool), requests=1)
        await writer.stop()
        lines = sink.read() or []
        assert [json.loads(x)["seq"] for x in lines] == [2, 4]

        # The same as an aiohttp cleanup context (how the app runs it).
        key = web.AppKey("hub_pool", asyncpg.Pool)
        app = web.Application()
        app[key] = hub_pool
        settings = Settings(data_dir=sink.path.parent, audit=AuditSettings(checkpoint_seconds=60))
        context = checkpoint_context(settings, key)(app)
        await write_chain(DisclosureLog(pool), requests=1)
        await anext(context)
        await asyncio.sleep(0.1)
        await anext(context, None)
        assert [json.loads(x)["seq"] for x in sink.read() or []] == [2, 4, 6]
    finally:
        await hub_pool.close()
    assert (await verify(owner, sink)).checkpoints == 3


# --- the command -------------------------------------------------------------------


def run_audit(hub_dsn: str, tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_HUB_")}
    env["CITIZEN_HUB_HUB_DSN"] = hub_dsn
    env["CITIZEN_HUB_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [sys.executable, "-m", "hub", "audit", *argv],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(Path(__file__).parents[2])},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_cli_checkpoints_and_verify_reports_a_rewrite(
    pool: HubPool, owner: asyncpg.Connection[Any], hub_dsn: str, tmp_path: Path
) -> None:
    done = await asyncio.to_thread(run_audit, hub_dsn, tmp_path, "checkpoint")
    assert (done.returncode, done.stdout) == (
        0,
        "the disclosure log is empty: nothing to checkpoint\n",
    )
    await write_chain(DisclosureLog(pool))
    done = await asyncio.to_thread(run_audit, hub_dsn, tmp_path, "checkpoint")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("checkpoint: seq 8 sha256 ")
    file = tmp_path / "data" / "audit-checkpoints.jsonl"
    assert len(file.read_text().splitlines()) == 1

    done = await asyncio.to_thread(run_audit, hub_dsn, tmp_path, "verify")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("chain intact: 8 rows")
    assert lines[1].startswith(f"checkpoints: 1 hold in {file}, the latest at seq 8 (")

    await rewrite_tail(owner, 7, "penelitian")
    done = await asyncio.to_thread(run_audit, hub_dsn, tmp_path, "verify")
    assert done.returncode == 1, done.stderr
    assert "seq 8: rewritten: the checkpoint of " in done.stdout
    assert "chain broken: 1 bad rows of 8" in done.stdout

    elsewhere = tmp_path / "elsewhere.jsonl"
    done = await asyncio.to_thread(
        run_audit, hub_dsn, tmp_path, "verify", "--checkpoints", str(elsewhere)
    )
    assert done.returncode == 0, done.stderr  # no checkpoints: the chain alone, said so
    assert f"checkpoints: none in {elsewhere}; only the chain's own links" in done.stdout


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
