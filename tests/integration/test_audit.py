"""The disclosure log on a real PostgreSQL: one statement per request, append-only, tamper-evident.

Tampering is done the way an attacker with database access would: as the owner
(here a superuser), with the append-only trigger disabled for the moment.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from hub.audit import (
    APP_ROLE,
    Disclosure,
    DisclosureLog,
    DisclosureRequest,
    HubPool,
    create_audit_pool,
)
from hub.migrate import migrate_dsn
from schema.errors import AuditUnavailable
from tests.conftest import ScratchDatabases

NIKS = [f"36710{i:011d}" for i in range(1, 51)]


@pytest.fixture(scope="module")
async def hub_dsn(test_databases: ScratchDatabases) -> str:
    dsn = (await test_databases.create("audit"))["hub"]
    await migrate_dsn(dsn)
    return dsn


@pytest.fixture
async def owner(hub_dsn: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    """A superuser connection on an empty log (each test starts a new chain)."""
    conn = await asyncpg.connect(hub_dsn)
    await _tamper(conn, "TRUNCATE disclosures")
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def pool(hub_dsn: str, owner: asyncpg.Connection[Any]) -> AsyncIterator[HubPool]:
    pool = await create_audit_pool(hub_dsn, min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


@dataclass
class Counted:
    """A log on a one-connection pool that records every statement sent on it (the pool's
    reset between acquisitions included, which names no table)."""

    log: DisclosureLog
    statements: list[str]


@pytest.fixture
async def counted(hub_dsn: str, owner: asyncpg.Connection[Any]) -> AsyncIterator[Counted]:
    statements: list[str] = []

    async def record(conn: asyncpg.Connection[Any]) -> None:
        conn.add_query_logger(lambda q: statements.append(q.query))

    pool = await asyncpg.create_pool(hub_dsn, min_size=1, max_size=1, init=record)
    try:
        yield Counted(DisclosureLog(pool), statements)
    finally:
        await pool.close()


async def _tamper(conn: asyncpg.Connection[Any], *statements: str) -> None:
    async with conn.transaction():
        await conn.execute("ALTER TABLE disclosures DISABLE TRIGGER disclosures_append_only")
        for statement in statements:
            await conn.execute(statement)
        await conn.execute("ALTER TABLE disclosures ENABLE TRIGGER disclosures_append_only")


def request(
    request_id: str, niks: list[str], purpose: str | None = "verifikasi-ppdb"
) -> DisclosureRequest:
    return DisclosureRequest(
        request_id=request_id,
        client_id="sekolah-01",
        subject="client:sekolah-01",
        purpose=purpose,
        disclosures=[Disclosure(n, {"siak", "psb"}, {"Citizen.name", "Citizen.kk"}) for n in niks],
    )


async def write_chain(log: DisclosureLog, requests: int = 4, per_request: int = 2) -> None:
    for i in range(requests):
        niks = NIKS[i * per_request : (i + 1) * per_request]
        await log.record(request(f"req-{i}", niks))


async def test_one_statement_writes_a_row_per_nik_whatever_their_number(
    counted: Counted, owner: asyncpg.Connection[Any]
) -> None:
    counts = []
    for request_id, niks in (("one", NIKS[:1]), ("fifty", NIKS)):
        counted.statements.clear()
        await counted.log.record(request(request_id, niks))
        counts.append(sum("disclosures" in q for q in counted.statements))
    assert counts == [1, 1]
    rows = await owner.fetch("SELECT seq, nik, request_id FROM disclosures ORDER BY seq")
    assert [r["seq"] for r in rows] == list(range(1, 52))
    assert [r["nik"] for r in rows[1:]] == NIKS
    assert {r["request_id"] for r in rows[1:]} == {"fifty"}


async def test_repeated_niks_merge_into_one_row(
    pool: HubPool, owner: asyncpg.Connection[Any]
) -> None:
    log = DisclosureLog(pool)
    await log.record(
        DisclosureRequest(
            "r1",
            "c",
            "s",
            "p",
            [Disclosure(NIKS[0], ["siak"], ["a"]), Disclosure(NIKS[0], ["psb"], ["b"])],
        )
    )
    rows = await owner.fetch("SELECT nik, sources, fields FROM disclosures")
    assert [(r["nik"], r["sources"], r["fields"]) for r in rows] == [
        (NIKS[0], ["psb", "siak"], ["a", "b"])
    ]


async def test_sql_and_python_hash_the_same_awkward_values(pool: HubPool) -> None:
    log = DisclosureLog(pool)
    await log.record(
        DisclosureRequest(
            'req "1", {x}',
            None,
            "Siti Nurhaliza — ibu",
            None,
            [
                Disclosure(NIKS[0], [], []),
                Disclosure(NIKS[1], ["a,b", '{"c"}', ""], ["Ñame", "🙂", "NULL"]),
            ],
        )
    )
    await log.record(request("plain", NIKS[2:4], purpose=""))
    result = await log.verify()
    assert result.intact, result.problems
    assert result.rows == 4
    assert result.head_seq == 4


async def test_verify_names_an_altered_row(pool: HubPool, owner: asyncpg.Connection[Any]) -> None:
    log = DisclosureLog(pool)
    await write_chain(log)
    assert (await log.verify()).intact
    await _tamper(owner, "UPDATE disclosures SET purpose = 'penelitian' WHERE seq = 3")
    result = await log.verify()
    assert [(p.seq, p.kind) for p in result.problems] == [(3, "altered")]


async def test_verify_names_a_removed_row(pool: HubPool, owner: asyncpg.Connection[Any]) -> None:
    log = DisclosureLog(pool)
    await write_chain(log)
    await _tamper(owner, "DELETE FROM disclosures WHERE seq = 4")
    result = await log.verify()
    assert [(p.seq, p.kind) for p in result.problems] == [(5, "removed")]
    assert "seq 4 missing" in result.problems[0].detail


async def test_verify_names_a_removed_row_hidden_by_renumbering(
    pool: HubPool, owner: asyncpg.Connection[Any]
) -> None:
    log = DisclosureLog(pool)
    await write_chain(log)
    await _tamper(
        owner,
        "DELETE FROM disclosures WHERE seq = 4",
        "UPDATE disclosures SET seq = seq + 1000 WHERE seq > 4",
        "UPDATE disclosures SET seq = seq - 1001 WHERE seq > 1000",
    )
    result = await log.verify()
    assert result.rows == 7
    assert [(p.seq, p.kind) for p in result.problems] == [(4, "removed")]


async def test_verify_names_reordered_rows(pool: HubPool, owner: asyncpg.Connection[Any]) -> None:
    log = DisclosureLog(pool)
    await write_chain(log)
    await _tamper(
        owner,
        "UPDATE disclosures SET seq = 1000 WHERE seq = 3",
        "UPDATE disclosures SET seq = 3 WHERE seq = 4",
        "UPDATE disclosures SET seq = 4 WHERE seq = 1000",
    )
    result = await log.verify()
    kinds = {p.kind for p in result.problems}
    assert kinds == {"reordered"}
    assert {3, 4} <= {p.seq for p in result.problems}
    assert "right after the row now at seq 4" in result.problems[0].detail


async def test_verify_finds_a_row_rewritten_with_a_recomputed_hash(
    pool: HubPool, owner: asyncpg.Connection[Any]
) -> None:
    log = DisclosureLog(pool)
    await write_chain(log)
    # An attacker who knows the encoding rehashes the row they changed: the next link breaks.
    await _tamper(
        owner,
        "UPDATE disclosures SET purpose = 'penelitian',"
        " row_hash = disclosure_row_hash(prev_hash, at, request_id, client_id, subject,"
        " 'penelitian', nik, sources, fields) WHERE seq = 3",
    )
    result = await log.verify()
    assert [(p.seq, p.kind) for p in result.problems] == [(4, "removed")]
    assert "rewritten" in result.problems[0].detail


@pytest.mark.parametrize(
    "statement",
    ["UPDATE disclosures SET purpose = 'x'", "DELETE FROM disclosures", "TRUNCATE disclosures"],
)
async def test_the_trigger_refuses_changes_even_to_the_owner(
    pool: HubPool, owner: asyncpg.Connection[Any], statement: str
) -> None:
    await write_chain(DisclosureLog(pool), requests=1)
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await owner.execute(statement)
    assert await owner.fetchval("SELECT count(*) FROM disclosures") == 2


@pytest.mark.parametrize(
    "statement",
    ["UPDATE disclosures SET purpose = 'x'", "DELETE FROM disclosures", "TRUNCATE disclosures"],
)
async def test_the_app_role_may_append_but_not_change(
    pool: HubPool, owner: asyncpg.Connection[Any], statement: str
) -> None:
    if await owner.fetchval("SELECT to_regrole($1)", APP_ROLE) is None:
        pytest.skip(f"the test server's login may not create roles, so there is no {APP_ROLE}")
    await write_chain(DisclosureLog(pool), requests=1)
    for _ in range(3):  # the role survives the pool's reset between acquisitions
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT current_user") == APP_ROLE
    async with pool.acquire() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(statement)
    assert await owner.fetchval("SELECT count(*) FROM disclosures") == 2


async def test_concurrent_writers_keep_one_linear_chain(
    hub_dsn: str, pool: HubPool, owner: asyncpg.Connection[Any]
) -> None:
    # Two hub instances, each with its own pool, writing at once.
    other = await create_audit_pool(hub_dsn, min_size=1, max_size=4)
    try:
        logs = [DisclosureLog(pool), DisclosureLog(other)]
        await asyncio.gather(
            *(logs[i % 2].record(request(f"req-{i}", NIKS[i : i + 3])) for i in range(40))
        )
        result = await logs[0].verify()
    finally:
        await other.close()
    assert result.intact, result.problems
    assert result.rows == 120
    rows = await owner.fetch("SELECT seq, request_id FROM disclosures ORDER BY seq")
    assert [r["seq"] for r in rows] == list(range(1, 121))
    # Each request's rows are written together, never interleaved with another's.
    runs = [r["request_id"] for i, r in enumerate(rows) if i % 3 == 0]
    assert all(rows[i]["request_id"] == runs[i // 3] for i in range(120))
    assert len(set(runs)) == 40


async def test_record_raises_audit_unavailable_when_the_database_is_unreachable() -> None:
    pool = await asyncpg.create_pool("postgresql://nobody@127.0.0.1:1/hub", min_size=0)
    try:
        with pytest.raises(AuditUnavailable) as caught:
            await DisclosureLog(pool, timeout=2).record(request("r", NIKS[:2]))
    finally:
        await pool.close()
    assert caught.value.extensions["code"] == "AUDIT_UNAVAILABLE"


async def test_record_raises_audit_unavailable_when_the_pool_is_closed(hub_dsn: str) -> None:
    pool = await create_audit_pool(hub_dsn)
    await pool.close()
    with pytest.raises(AuditUnavailable):
        await DisclosureLog(pool).record(request("r", NIKS[:2]))


async def test_access_log_answers_many_niks_in_one_statement_newest_first(
    counted: Counted,
) -> None:
    log = counted.log
    await log.record(request("first", NIKS[:2]))
    await log.record(request("second", NIKS[:1], purpose="seleksi-cpns"))
    await log.record(request("third", NIKS[:1]))
    counted.statements.clear()
    seen = await log.access_log([NIKS[0], NIKS[1], NIKS[9]], last=2)
    assert sum("disclosures" in q for q in counted.statements) == 1
    assert log.statements == 4  # the count the graph's statement-count tests read
    assert [e.request_id for e in seen[NIKS[0]]] == ["third", "second"]
    assert seen[NIKS[0]][1].purpose == "seleksi-cpns"
    assert seen[NIKS[0]][0].client_id == "sekolah-01"
    assert seen[NIKS[0]][0].sources == ("psb", "siak")
    assert [e.request_id for e in seen[NIKS[1]]] == ["first"]
    assert seen[NIKS[9]] == []


def run_verify(hub_dsn: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_HUB_")}
    env["CITIZEN_HUB_HUB_DSN"] = hub_dsn
    return subprocess.run(
        [sys.executable, "-m", "hub", "audit", "verify"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(Path(__file__).parents[2])},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_cli_verify_says_intact_then_names_the_bad_row(
    pool: HubPool, owner: asyncpg.Connection[Any], hub_dsn: str, tmp_path: Path
) -> None:
    await write_chain(DisclosureLog(pool))
    done = await asyncio.to_thread(run_verify, hub_dsn, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("chain intact: 8 rows")
    await _tamper(owner, "UPDATE disclosures SET nik = '3671000000000099' WHERE seq = 6")
    done = await asyncio.to_thread(run_verify, hub_dsn, tmp_path)
    assert done.returncode == 1, done.stderr
    assert "seq 6: altered" in done.stdout
    assert "3671000000000099" not in done.stdout + done.stderr
