"""The disclosure log's write: the single chain's per-request append against the group commit.

Two fresh hub databases on one server: one migrated as before the writers (each
request one ``disclosures_append`` under one advisory lock, its rows hashed in plpgsql),
one migrated to now (each process's :class:`~hub.audit.writer.GroupWriter` hashing in
Python and sending one statement per batch of concurrent requests). For 1 and 100
citizens per request, under 1, 8 and 50 concurrent requests, rounds of the two
interleaved: each request's wait for its rows to be durable (p50) and the requests
written per second. The writes go through the same pool (4 connections, the app role)
the hub uses.

    .venv/bin/python -m bench.audit_write [--requests 400] [--rounds 3]
        [--admin-dsn postgresql://postgres@127.0.0.1:5432/postgres]

Without ``--admin-dsn`` (or ``CITIZEN_HUB_BENCH_PG``) it starts an embedded server in a
temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import orjson

from hub.audit import Disclosure, DisclosureLog, DisclosureRequest, HubPool, create_audit_pool
from hub.embedded import EmbeddedServer, ensure_databases
from hub.migrate import migrate_dsn, migration_files

SHAPES = (1, 100)
CONCURRENCY = (1, 8, 50)
SOURCES = ["apk", "antrian", "cpns", "lpse", "psb", "siak", "sikda", "sipbd"]
FIELDS = ["Citizen.fullName", "Citizen.nik", "SchoolAdmission.level", "CivilServant.nip"]
OLD_APPEND = "SELECT disclosures_append($1, $2, $3, $4, $5::jsonb)"

Write = Callable[[int, list[str]], Awaitable[None]]


def dsn_for(admin_dsn: str, database: str) -> str:
    base, _, query = admin_dsn.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{database}" + (f"?{query}" if query else "")


async def fresh_database(admin_dsn: str, name: str, before: str | None) -> str:
    """``name`` dropped and created again, migrated up to (not including) ``before``."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await conn.close()
    await ensure_databases(admin_dsn, [name])
    dsn = dsn_for(admin_dsn, name)
    if before is None:
        await migrate_dsn(dsn)
        return dsn
    conn = await asyncpg.connect(dsn)
    try:
        for file, sql in migration_files():
            if file < before:
                await conn.execute(sql)
    finally:
        await conn.close()
    return dsn


def old_writer(pool: HubPool) -> Write:
    """The append as it was: one statement per request, the chain's lock inside it."""

    async def write(request: int, niks: list[str]) -> None:
        rows = orjson.dumps([[nik, SOURCES, FIELDS] for nik in niks]).decode()
        async with pool.acquire() as conn:
            await conn.fetchval(OLD_APPEND, f"req-{request}", "bench", "client:bench", "p", rows)

    return write


def group_writer(log: DisclosureLog) -> Write:
    async def write(request: int, niks: list[str]) -> None:
        await log.record(
            DisclosureRequest(
                f"req-{request}",
                "bench",
                "client:bench",
                "p",
                [Disclosure(nik, SOURCES, FIELDS) for nik in niks],
            )
        )

    return write


async def run(write: Write, requests: int, clients: int, citizens: int) -> tuple[float, float]:
    """``requests`` writes from ``clients`` concurrent tasks: (p50 ms, requests/s)."""
    waits: list[float] = []
    niks = [f"3671{n:012d}" for n in range(citizens)]
    counter = iter(range(requests))

    async def client() -> None:
        for request in counter:
            started = time.perf_counter()
            await write(request, niks)
            waits.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - began
    return statistics.median(waits) * 1000, requests / elapsed


async def bench(admin_dsn: str, requests: int, rounds: int) -> None:
    old_dsn = await fresh_database(admin_dsn, "chbench_audit_old", before="007")
    new_dsn = await fresh_database(admin_dsn, "chbench_audit_new", before=None)
    old_pool = await create_audit_pool(old_dsn, min_size=4, max_size=4)
    new_pool = await create_audit_pool(new_dsn, min_size=4, max_size=4)
    try:
        log = DisclosureLog(new_pool)
        writers = {"per request": old_writer(old_pool), "group commit": group_writer(log)}
        print(f"{requests} requests per round, best of {rounds} rounds, interleaved")
        print(f"{'citizens':>8} {'clients':>7}  {'mode':<12} {'p50 ms':>8} {'req/s':>8}")
        for citizens in SHAPES:
            for clients in CONCURRENCY:
                best: dict[str, tuple[float, float]] = {}
                for _ in range(rounds):
                    for mode, write in writers.items():
                        p50, rate = await run(write, requests, clients, citizens)
                        was = best.get(mode)
                        best[mode] = (min(p50, was[0]), max(rate, was[1])) if was else (p50, rate)
                for mode, (p50, rate) in best.items():
                    print(f"{citizens:>8} {clients:>7}  {mode:<12} {p50:>8.2f} {rate:>8.0f}")
                (old_p50, old_rate), (new_p50, new_rate) = best.values()
                print(
                    f"{'':>8} {'':>7}  {'ratio':<12} {old_p50 / new_p50:>7.1f}x"
                    f" {new_rate / old_rate:>7.1f}x"
                )
        print(f"group commit: {log.writer.statements} statements for the rounds' requests")
    finally:
        await old_pool.close()
        await new_pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--admin-dsn", default=os.environ.get("CITIZEN_HUB_BENCH_PG"))
    args = parser.parse_args()
    if args.admin_dsn:
        asyncio.run(bench(args.admin_dsn, args.requests, args.rounds))
        return
    with tempfile.TemporaryDirectory(prefix="chbench-") as folder:
        server = EmbeddedServer(Path(folder) / "pg")
        try:
            asyncio.run(bench(server.dsn(), args.requests, args.rounds))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
