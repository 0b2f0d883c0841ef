"""``audit verify`` walks every writer's chain and names what was done to each, on a real
PostgreSQL: an edited, a removed and a reordered row, in either of two writers' chains,
named in that chain and nowhere else; and the rows written before there were writers
(encoding v1) still verify beside them.

Tampering is done as the table's owner (a superuser here), past the append-only trigger.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from hub.audit import DisclosureLog, HubPool, create_audit_pool
from hub.migrate import migrate, migration_files
from tests.conftest import ScratchDatabases
from tests.integration.audit.support import NIKS, request, tamper

ROWS_EACH = 8  # four requests of two citizens per writer


@pytest.fixture
async def writers(pool: HubPool) -> list[DisclosureLog]:
    """Two writers (two hub processes), their requests interleaved in the table."""
    logs = [DisclosureLog(pool), DisclosureLog(pool)]
    for i in range(ROWS_EACH // 2):
        for w, log in enumerate(logs):
            await log.record(request(f"w{w}-{i}", NIKS[2 * i : 2 * i + 2]))
    result = await logs[0].verify()
    assert result.intact, result.problems
    assert sorted((c.writer, c.seq, c.rows) for c in result.chains) == sorted(
        (log.writer.writer_id, ROWS_EACH, ROWS_EACH) for log in logs
    )
    return logs


def at(writer: str, position: int) -> str:
    """A WHERE clause naming one row of ``writer``'s chain (ids are [A-Za-z0-9./:-])."""
    return f"writer = '{writer}' AND writer_seq = {position}"


async def problems_in(log: DisclosureLog, writer: str) -> list[tuple[int, str]]:
    """The problems verify names, all of them in ``writer``'s chain."""
    result = await log.verify()
    assert {p.writer for p in result.problems} == {writer}, result.problems
    return [(p.seq, p.kind) for p in result.problems]


@pytest.mark.parametrize("which", [0, 1])
async def test_an_edited_row_is_named_in_its_writers_chain(
    writers: list[DisclosureLog], owner: asyncpg.Connection[Any], which: int
) -> None:
    writer = writers[which].writer.writer_id
    await tamper(owner, f"UPDATE disclosures SET purpose = 'penelitian' WHERE {at(writer, 3)}")
    assert await problems_in(writers[0], writer) == [(3, "altered")]


@pytest.mark.parametrize("which", [0, 1])
async def test_a_removed_row_is_named_in_its_writers_chain(
    writers: list[DisclosureLog], owner: asyncpg.Connection[Any], which: int
) -> None:
    writer = writers[which].writer.writer_id
    await tamper(owner, f"DELETE FROM disclosures WHERE {at(writer, 4)}")
    result = await writers[0].verify()
    assert [(p.writer, p.seq, p.kind) for p in result.problems] == [(writer, 5, "removed")]
    assert "seq 4 missing" in result.problems[0].detail
    assert result.rows == 2 * ROWS_EACH - 1


@pytest.mark.parametrize("which", [0, 1])
async def test_a_removed_row_hidden_by_renumbering_is_named(
    writers: list[DisclosureLog], owner: asyncpg.Connection[Any], which: int
) -> None:
    writer = writers[which].writer.writer_id
    w = f"writer = '{writer}'"
    await tamper(
        owner,
        f"DELETE FROM disclosures WHERE {at(writer, 4)}",
        f"UPDATE disclosures SET writer_seq = writer_seq + 1000 WHERE {w} AND writer_seq > 4",
        f"UPDATE disclosures SET writer_seq = writer_seq - 1001 WHERE {w} AND writer_seq > 1000",
    )
    assert await problems_in(writers[0], writer) == [(4, "removed")]


@pytest.mark.parametrize("which", [0, 1])
async def test_reordered_rows_are_named_in_their_writers_chain(
    writers: list[DisclosureLog], owner: asyncpg.Connection[Any], which: int
) -> None:
    writer = writers[which].writer.writer_id
    await tamper(
        owner,
        f"UPDATE disclosures SET writer_seq = 1000 WHERE {at(writer, 3)}",
        f"UPDATE disclosures SET writer_seq = 3 WHERE {at(writer, 4)}",
        f"UPDATE disclosures SET writer_seq = 4 WHERE {at(writer, 1000)}",
    )
    result = await writers[0].verify()
    assert {(p.writer, p.kind) for p in result.problems} == {(writer, "reordered")}
    assert {3, 4} <= {p.seq for p in result.problems}
    assert "right after the row now at seq 4" in result.problems[0].detail


async def test_a_row_moved_to_another_writers_chain_is_named(
    writers: list[DisclosureLog], owner: asyncpg.Connection[Any]
) -> None:
    first, second = (log.writer.writer_id for log in writers)
    # Second's row 8 becomes first's row 9: its writer is hashed, and its link is not first's.
    await tamper(
        owner, f"UPDATE disclosures SET writer = '{first}', writer_seq = 9 WHERE {at(second, 8)}"
    )
    result = await writers[0].verify()
    assert {(p.writer, p.seq, p.kind) for p in result.problems} == {
        (first, 9, "altered"),
        (first, 9, "reordered"),
    }
    assert f"of the writer {second}" in next(
        p.detail for p in result.problems if p.kind == "reordered"
    )


@pytest.mark.parametrize("which", [0, 1])
async def test_a_row_rewritten_with_its_hash_recomputed_breaks_the_next_link(
    writers: list[DisclosureLog], owner: asyncpg.Connection[Any], which: int
) -> None:
    writer = writers[which].writer.writer_id
    await tamper(
        owner,
        "UPDATE disclosures SET purpose = 'penelitian',"
        " row_hash = disclosure_row_hash_v2(prev_hash, writer, at, request_id, client_id,"
        f" subject, 'penelitian', consent_id, nik, sources, fields) WHERE {at(writer, 3)}",
    )
    assert await problems_in(writers[0], writer) == [(4, "removed")]


async def test_rows_from_before_the_writers_still_verify_beside_their_chains(
    test_databases: ScratchDatabases,
) -> None:
    dsn = (await test_databases.create("audit_v1"))["hub"]
    conn = await asyncpg.connect(dsn)
    try:
        # The hub as it was before 007: the single chain, its rows hashed in SQL (v1).
        await conn.execute(
            "CREATE TABLE schema_migrations (name text PRIMARY KEY,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for name, sql in migration_files():
            if name < "007":
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
        for i in range(3):
            await conn.fetchval(
                "SELECT disclosures_append($1, 'c', 's', 'p', $2::jsonb)",
                f"v1-{i}",
                f'[["{NIKS[i]}", ["siak"], ["Citizen.name"]], ["{NIKS[i + 1]}", [], []]]',
            )
        assert "007_audit_writers.sql" in await migrate(conn)
        pool = await create_audit_pool(dsn, min_size=1, max_size=2)
        try:
            log = DisclosureLog(pool)
            await log.record(request("v2", NIKS[:3], consent_id="consent-1"))
            result = await log.verify()
            assert result.intact, result.problems
            assert [(c.writer, c.seq) for c in result.chains] == [
                (None, 6),
                (log.writer.writer_id, 3),
            ]
            # The table's order goes on after the old rows.
            seqs = await conn.fetch("SELECT seq FROM disclosures WHERE writer IS NOT NULL")
            assert sorted(r["seq"] for r in seqs) == [7, 8, 9]
            await tamper(conn, "UPDATE disclosures SET client_id = 'x' WHERE seq = 2")
            result = await log.verify()
            assert [(p.writer, p.seq, p.kind) for p in result.problems] == [(None, 2, "altered")]
        finally:
            await pool.close()
    finally:
        await conn.close()
