"""The disclosure log on a real PostgreSQL: one statement per request, append-only, its
consent recorded. The chains' tamper-evidence: test_chains.py; the group commit of
concurrent requests: test_writer.py.

Tampering is done the way an attacker with database access would: as the owner
(here a superuser), with the append-only trigger disabled for the moment.
"""

from __future__ import annotations

import asyncio
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
from schema.errors import AuditUnavailable
from tests.integration.audit.support import NIKS, request, run_audit, tamper, write_chain

# What the append-only log refuses, to its owner and to its writer alike.
CHANGES = [
    "UPDATE disclosures SET purpose = 'x'",
    "DELETE FROM disclosures",
    "TRUNCATE disclosures",
]


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


async def test_one_statement_writes_a_row_per_nik_whatever_their_number(
    counted: Counted, owner: asyncpg.Connection[Any]
) -> None:
    counts = []
    for request_id, niks in (("one", NIKS[:1]), ("fifty", NIKS)):
        counted.statements.clear()
        await counted.log.record(request(request_id, niks))
        counts.append(sum("disclosures" in q for q in counted.statements))
    assert counts == [1, 1]
    rows = await owner.fetch(
        "SELECT seq, writer, writer_seq, nik, request_id FROM disclosures ORDER BY seq"
    )
    assert [r["seq"] for r in rows] == list(range(1, 52))
    assert [r["writer_seq"] for r in rows] == list(range(1, 52))
    assert {r["writer"] for r in rows} == {counted.log.writer.writer_id}
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
    await log.record(request("plain", NIKS[2:4], purpose="", consent_id="izin 1 — é"))
    result = await log.verify()
    assert result.intact, result.problems
    assert result.rows == 4
    assert [(c.writer, c.seq) for c in result.chains] == [(log.writer.writer_id, 4)]


async def test_the_consent_read_under_is_recorded_and_chained(
    pool: HubPool, owner: asyncpg.Connection[Any]
) -> None:
    log = DisclosureLog(pool)
    await log.record(request("app", NIKS[:1], purpose="beasiswa", consent_id="consent-7"))
    await log.record(request("partner", NIKS[:1]))
    seen = await log.access_log(NIKS[:1], last=5)
    assert [(e.request_id, e.consent_id) for e in seen[NIKS[0]]] == [
        ("partner", None),
        ("app", "consent-7"),
    ]
    # Naming another consent afterwards breaks the row's hash: it is chained content.
    await tamper(
        owner, "UPDATE disclosures SET consent_id = 'consent-8' WHERE consent_id IS NOT NULL"
    )
    result = await log.verify()
    assert [(p.seq, p.kind) for p in result.problems] == [(1, "altered")]


@pytest.mark.parametrize("statement", CHANGES)
async def test_the_trigger_refuses_changes_even_to_the_owner(
    pool: HubPool, owner: asyncpg.Connection[Any], statement: str
) -> None:
    await write_chain(DisclosureLog(pool), requests=1)
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await owner.execute(statement)
    assert await owner.fetchval("SELECT count(*) FROM disclosures") == 2


@pytest.mark.parametrize("statement", CHANGES)
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


async def test_cli_verify_says_intact_then_names_the_bad_row(
    pool: HubPool, owner: asyncpg.Connection[Any], hub_dsn: str, tmp_path: Path
) -> None:
    await write_chain(DisclosureLog(pool))
    done = await asyncio.to_thread(run_audit, hub_dsn, tmp_path, "verify")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("chains intact: 8 rows in 1 chain\n")
    await tamper(owner, "UPDATE disclosures SET nik = '3671000000000099' WHERE writer_seq = 6")
    done = await asyncio.to_thread(run_audit, hub_dsn, tmp_path, "verify")
    assert done.returncode == 1, done.stderr
    assert "seq 6: altered" in done.stdout
    assert "3671000000000099" not in done.stdout + done.stderr
