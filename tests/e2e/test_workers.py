"""`citizen-hub serve --workers 2`: two processes share the port and both answer, and
share each database's connections (connectors.pools) rather than doubling them."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import replace
from pathlib import Path

import aiohttp
import asyncpg
import psutil

from bench.serving import start_hub
from connectors import pools
from connectors.base import Source
from connectors.seeding import SeedReport
from hub.migrate import migrate_dsn
from hub.settings import AuthSettings
from tests.conftest import ScratchDatabases
from tests.e2e.conftest import city_settings, grant
from tests.e2e.test_metrics_workers import serving


async def test_two_workers_share_the_port_and_stop_together(
    city_dsns: dict[Source | str, str],
    seed_report: SeedReport,
    test_databases: ScratchDatabases,
    tmp_path: Path,
) -> None:
    assert seed_report.city is not None
    # serve needs a key-encryption key, under which it seals the hub's signing keys: a hub
    # database of its own, so the city's shared one keeps its keys as the other tests use them.
    hub_dsn = (await test_databases.create("workers"))["hub"]
    await migrate_dsn(hub_dsn)
    env = {**os.environ, "CITIZEN_HUB_HUB_DSN": hub_dsn}
    env.update({f"CITIZEN_HUB_{s.name}_DSN": city_dsns[s] for s in Source})
    hub = await start_hub(env, workers=2, log=tmp_path / "hub.log")
    url = hub.url
    try:
        # One worker answering is not both listening: wait for the second one's bind.
        deadline = time.monotonic() + 60
        while len(serving(tmp_path / "hub.log")) < 2:
            assert time.monotonic() < deadline, "the second worker did not start"
            await asyncio.sleep(0.2)
        workers = psutil.Process(hub.process.pid).children()
        assert len(workers) >= 2  # two workers (spawn may add its resource tracker)
        settings = replace(
            city_settings(city_dsns), hub_dsn=hub_dsn, auth=AuthSettings(key_encryption_key=hub.kek)
        )
        headers = await grant(settings, name="qa-workers")
        query = {"query": "query($n: NIK!) { citizen(nik: $n) { fullName } }"}
        head = seed_report.city.showcase[0].head
        # A connection per request, so the kernel spreads them over both workers.
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(headers=headers, connector=connector) as session:

            async def ask() -> str:
                payload = {**query, "variables": {"n": head.nik}}
                async with session.post(url + "/graphql", json=payload) as r:
                    assert r.status == 200
                    body = await r.json()
                    name: str = body["data"]["citizen"]["fullName"]
                    return name

            names = await asyncio.gather(*(ask() for _ in range(20)))
            assert set(names) == {head.name}
            # Many at once: each worker would open its pool's whole size if it could.
            names = await asyncio.gather(*(ask() for _ in range(80)))
        assert set(names) == {head.name}
        opened = await _connections(city_dsns[Source.SIAK], [w.pid for w in workers])
        assert len(opened) == 2, opened  # both workers answered, reading SIAK
        assert all(n <= pools.CONNECTIONS // 2 for n in opened.values()), opened
    finally:
        stopped = await hub.stop(30)
    assert stopped == 0
    await asyncio.sleep(0.5)
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in workers)


async def _connections(dsn: str, pids: list[int]) -> dict[int, int]:
    """The connections each of ``pids`` holds to the database of ``dsn`` (by the
    application name the hub's pools give them)."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT application_name, count(*) AS n FROM pg_stat_activity"
            " WHERE datname = current_database() GROUP BY 1"
        )
    finally:
        await conn.close()
    names = {f"{pools.APPLICATION} {pid}": pid for pid in pids}
    return {names[r["application_name"]]: r["n"] for r in rows if r["application_name"] in names}
