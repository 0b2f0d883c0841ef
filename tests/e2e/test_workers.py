"""`citizen-hub serve --workers 2`: two processes share the port and both answer."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import signal
import socket
import sys
import time
from dataclasses import replace

import aiohttp
import psutil

from connectors.base import Source
from connectors.seeding import SeedReport
from hub.migrate import migrate_dsn
from hub.settings import AuthSettings
from tests.conftest import ScratchDatabases
from tests.e2e.conftest import city_settings, grant


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def wait_healthy(url: str, deadline: float) -> None:
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url + "/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("the hub did not become healthy in time")


async def test_two_workers_share_the_port_and_stop_together(
    city_dsns: dict[Source | str, str], seed_report: SeedReport, test_databases: ScratchDatabases
) -> None:
    assert seed_report.city is not None
    port = free_port()
    # serve needs a key-encryption key, under which it seals the hub's signing keys: a hub
    # database of its own, so the city's shared one keeps its keys as the other tests use them.
    hub_dsn = (await test_databases.create("workers"))["hub"]
    await migrate_dsn(hub_dsn)
    kek = secrets.token_bytes(32)
    env = {**os.environ, "CITIZEN_HUB_HUB_DSN": hub_dsn}
    env["CITIZEN_HUB_KEY_ENCRYPTION_KEY"] = base64.urlsafe_b64encode(kek).decode()
    env.update({f"CITIZEN_HUB_{s.name}_DSN": city_dsns[s] for s in Source})
    parent = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "hub", "serve", "--port", str(port), "--workers", "2"),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_healthy(url, time.monotonic() + 60)
        workers = psutil.Process(parent.pid).children()
        assert len(workers) >= 2  # two workers (spawn may add its resource tracker)
        settings = replace(
            city_settings(city_dsns), hub_dsn=hub_dsn, auth=AuthSettings(key_encryption_key=kek)
        )
        headers = await grant(settings, name="qa-workers")
        query = {"query": "query($n: NIK!) { citizen(nik: $n) { fullName } }"}
        head = seed_report.city.showcase[0].head
        async with aiohttp.ClientSession(headers=headers) as session:

            async def ask() -> str:
                payload = {**query, "variables": {"n": head.nik}}
                async with session.post(url + "/graphql", json=payload) as r:
                    assert r.status == 200
                    body = await r.json()
                    name: str = body["data"]["citizen"]["fullName"]
                    return name

            names = await asyncio.gather(*(ask() for _ in range(20)))
        assert set(names) == {head.name}
    finally:
        parent.send_signal(signal.SIGTERM)
        await asyncio.wait_for(parent.wait(), timeout=30)
    assert parent.returncode is not None
    await asyncio.sleep(0.5)
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in workers)
