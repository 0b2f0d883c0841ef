"""Signed checkpoints of each chain's head, outside the database (the disclosure log
against forgery, continued from test_forgery.py), on a real PostgreSQL:

- a superuser who rewrites a chain's tail and recomputes every hash passes the chain
  walk, but not the signed checkpoints; nor does a cut-off tail, nor a chain removed
  whole;
- a checkpoint line that was tampered with, or signed by a key the hub never had, is
  reported;
- the serving hub checkpoints its own chain while it serves and once more at stop, and
  ``citizen-hub audit checkpoint`` every chain.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from joserfc import jws

from hub.audit import (
    CheckpointWriter,
    DisclosureLog,
    FileSink,
    HubPool,
    checkpoint_context,
    take_checkpoints,
)
from hub.audit.checkpoint import CHECKPOINT_TYP, sign_checkpoint
from hub.auth.tokens import signing_keys
from hub.settings import AuditSettings, Settings
from schema.errors import AuditUnavailable
from tests.integration.audit.support import (
    AUTH,
    checkpoint,
    rewrite_tail,
    run_audit,
    tamper,
    verify,
    write_chain,
)
from tests.oauth_support import ec_key

# --- checkpoints outside the database ---------------------------------------------------


async def test_a_rewritten_tail_passes_the_chain_but_not_its_checkpoints(
    app_pool: HubPool, owner: asyncpg.Connection[Any], sink: FileSink
) -> None:
    log = DisclosureLog(app_pool)
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
    app_pool: HubPool, owner: asyncpg.Connection[Any], sink: FileSink
) -> None:
    await write_chain(DisclosureLog(app_pool), requests=3)
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
    app_pool: HubPool, owner: asyncpg.Connection[Any], sink: FileSink
) -> None:
    await write_chain(DisclosureLog(app_pool), requests=2)
    good = await checkpoint(owner, sink)
    line = (sink.read() or [])[0]
    entry = json.loads(line)
    stranger = ec_key()
    foreign = sign_checkpoint(replace(good, seq=3), stranger)
    [other_chain] = await take_checkpoints(owner, AUTH)
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
    app_pool: HubPool, owner: asyncpg.Connection[Any], sink: FileSink, hub_dsn: str
) -> None:
    log = DisclosureLog(app_pool)
    await write_chain(log, requests=1)
    await checkpoint(owner, sink)
    keys = signing_keys(AUTH)
    old = (await keys.active(owner)).kid
    assert old is not None
    await keys.rotate(owner)
    await keys.retire(owner, old)
    await write_chain(log, requests=1)
    await checkpoint(owner, sink)
    result = await verify(owner, sink)
    assert result.intact and result.checkpoints == 2
    header = jws.extract_compact(json.loads((sink.read() or [])[0])["jws"].encode()).headers()
    assert (header["kid"], header["typ"]) == (old, CHECKPOINT_TYP)


async def test_the_writer_checkpoints_while_started_and_at_stop(
    app_pool: HubPool, owner: asyncpg.Connection[Any], sink: FileSink, hub_dsn: str
) -> None:
    hub_pool = await asyncpg.create_pool(hub_dsn, min_size=1, max_size=2)
    log, other = DisclosureLog(app_pool), DisclosureLog(app_pool)
    try:
        mine = log.writer.writer_id
        writer = CheckpointWriter(hub_pool, AUTH, sink, seconds=0.05, writer=mine)
        assert await writer.write() == []  # an empty chain: nothing to checkpoint
        await write_chain(log, requests=1)
        await write_chain(other, requests=3)  # another process's chain: not this writer's
        writer.start()
        await asyncio.sleep(0.3)  # several rounds, one head: one line
        assert len(sink.read() or []) == 1
        await write_chain(log, requests=1)
        await writer.stop()
        lines = [json.loads(x) for x in sink.read() or []]
        assert [(x["writer"], x["seq"]) for x in lines] == [(mine, 2), (mine, 4)]

        # The same as an aiohttp cleanup context (how the app runs it): at cleanup it
        # closes the log, then checkpoints what the log wrote last.
        key = web.AppKey("hub_pool", asyncpg.Pool)
        app = web.Application()
        app[key] = hub_pool
        settings = Settings(data_dir=sink.path.parent, audit=AuditSettings(checkpoint_seconds=60))
        context = checkpoint_context(settings, key, lambda app: log)(app)
        await anext(context)
        for _ in range(100):  # its first round, at start, checkpoints the head as it is
            if len(sink.read() or []) == 3:
                break
            await asyncio.sleep(0.05)
        await write_chain(log, requests=1)
        await anext(context, None)
        lines = [json.loads(x) for x in sink.read() or []]
        assert [x["seq"] for x in lines] == [2, 4, 4, 6]  # at start, and at stop
        with pytest.raises(AuditUnavailable):
            await write_chain(log, requests=1)
    finally:
        await hub_pool.close()
    assert (await verify(owner, sink)).checkpoints == 4


async def test_every_chain_is_checkpointed_and_a_chain_removed_whole_is_reported(
    app_pool: HubPool, owner: asyncpg.Connection[Any], sink: FileSink, hub_dsn: str
) -> None:
    logs = [DisclosureLog(app_pool), DisclosureLog(app_pool)]
    for log in logs:
        await write_chain(log, requests=2)
    taken = await take_checkpoints(owner, AUTH)  # as `citizen-hub audit checkpoint` does
    assert sorted((c.writer, c.seq) for c, _ in taken) == sorted(
        (log.writer.writer_id, 4) for log in logs
    )
    for _, line in taken:
        sink.append(line)
    gone = logs[1].writer.writer_id
    await tamper(owner, f"DELETE FROM disclosures WHERE writer = '{gone}'")
    assert (await verify(owner)).intact  # what is left is consistent
    result = await verify(owner, sink)
    assert [(p.writer, p.seq, p.kind) for p in result.problems] == [(gone, 4, "truncated")]
    assert "the chain now ends at seq 0" in result.problems[0].detail


# --- the command -------------------------------------------------------------------


async def test_cli_checkpoints_and_verify_reports_a_rewrite(
    app_pool: HubPool, owner: asyncpg.Connection[Any], hub_dsn: str, tmp_path: Path
) -> None:
    done = await asyncio.to_thread(run_audit, hub_dsn, tmp_path, "checkpoint")
    assert (done.returncode, done.stdout) == (
        0,
        "the disclosure log is empty: nothing to checkpoint\n",
    )
    log = DisclosureLog(app_pool)
    await write_chain(log)
    name = f"writer {log.writer.writer_id}"
    done = await asyncio.to_thread(run_audit, hub_dsn, tmp_path, "checkpoint")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"checkpoint: {name} seq 8 sha256 ")
    file = tmp_path / "data" / "audit-checkpoints.jsonl"
    assert len(file.read_text().splitlines()) == 1

    done = await asyncio.to_thread(run_audit, hub_dsn, tmp_path, "verify")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "chains intact: 8 rows in 1 chain"
    assert lines[1].startswith(f"  {name}: 8 rows, head seq 8 sha256 ")
    assert lines[2].startswith(f"checkpoints: 1 hold in {file}, the latest at {name} seq 8 (")

    await rewrite_tail(owner, 7, "penelitian")
    done = await asyncio.to_thread(run_audit, hub_dsn, tmp_path, "verify")
    assert done.returncode == 1, done.stderr
    assert f"{name} seq 8: rewritten: the checkpoint of " in done.stdout
    assert "chains broken: 1 bad rows of 8" in done.stdout

    elsewhere = tmp_path / "elsewhere.jsonl"
    done = await asyncio.to_thread(
        run_audit, hub_dsn, tmp_path, "verify", "--checkpoints", str(elsewhere)
    )
    assert done.returncode == 0, done.stderr  # no checkpoints: the chain alone, said so
    assert f"checkpoints: none in {elsewhere}; only the chain's own links" in done.stdout
