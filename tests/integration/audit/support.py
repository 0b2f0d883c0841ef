"""What the disclosure log's tests share: citizens, requests, and the ways an attacker
with the table owner's rights tampers with the log (past its append-only trigger)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from hub.audit import (
    Disclosure,
    DisclosureLog,
    DisclosureRequest,
    FileSink,
    row_hash_v2,
    take_checkpoints,
    verify_chain,
)
from hub.audit.checkpoint import Checkpoint
from hub.settings import AuthSettings

NIKS = [f"36710{i:011d}" for i in range(1, 51)]

AUTH = AuthSettings()


def as_user(dsn: str, user: str) -> str:
    """``dsn`` with another user and no password."""
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{user}@{host}").geturl()


def run_audit(hub_dsn: str, tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``citizen-hub audit ARGV`` on ``hub_dsn``, its data folder in ``tmp_path``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_HUB_")}
    env["CITIZEN_HUB_HUB_DSN"] = hub_dsn
    env["CITIZEN_HUB_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [sys.executable, "-m", "hub", "audit", *argv],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(Path(__file__).parents[3])},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def tamper(conn: asyncpg.Connection[Any], *statements: str | tuple[Any, ...]) -> None:
    """Run ``statements`` (SQL, or SQL and its arguments) past the append-only trigger."""
    async with conn.transaction():
        await conn.execute("ALTER TABLE disclosures DISABLE TRIGGER disclosures_append_only")
        for statement in statements:
            if isinstance(statement, str):
                await conn.execute(statement)
            else:
                await conn.execute(*statement)
        await conn.execute("ALTER TABLE disclosures ENABLE TRIGGER disclosures_append_only")


def request(
    request_id: str,
    niks: list[str],
    purpose: str | None = "verifikasi-ppdb",
    consent_id: str | None = None,
) -> DisclosureRequest:
    return DisclosureRequest(
        request_id=request_id,
        client_id="sekolah-01",
        subject="client:sekolah-01",
        purpose=purpose,
        disclosures=[Disclosure(n, {"siak", "psb"}, {"Citizen.name", "Citizen.kk"}) for n in niks],
        consent_id=consent_id,
    )


async def write_chain(log: DisclosureLog, requests: int = 4, per_request: int = 2) -> None:
    for i in range(requests):
        niks = NIKS[i * per_request : (i + 1) * per_request]
        await log.record(request(f"req-{i}", niks))


async def checkpoint(owner: asyncpg.Connection[Any], sink: FileSink) -> Checkpoint:
    """Checkpoint the log's one chain (the tests that call it write through one writer)."""
    [(taken, line)] = await take_checkpoints(owner, AUTH)
    sink.append(line)
    return taken


async def verify(owner: asyncpg.Connection[Any], sink: FileSink | None = None) -> Any:
    lines = None if sink is None else (sink.read() or [])
    return await verify_chain(owner, checkpoint_lines=lines)


async def rewrite_tail(owner: asyncpg.Connection[Any], start: int, purpose: str) -> None:
    """What a superuser who knows the encoding does: change the rows of the (one)
    writer's chain from ``start`` on and recompute every hash after them, so the chain
    is consistent again."""
    rows = await owner.fetch(
        "SELECT * FROM disclosures WHERE writer_seq >= $1 ORDER BY writer_seq", start
    )
    prev = await owner.fetchval("SELECT row_hash FROM disclosures WHERE writer_seq = $1", start - 1)
    async with owner.transaction():
        await owner.execute("ALTER TABLE disclosures DISABLE TRIGGER disclosures_append_only")
        for r in rows:
            new = row_hash_v2(
                prev,
                r["writer"],
                r["at"],
                r["request_id"],
                r["client_id"],
                r["subject"],
                purpose,
                r["consent_id"],
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
