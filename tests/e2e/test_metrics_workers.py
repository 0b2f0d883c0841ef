"""`serve --workers 2`: whichever worker answers /metrics counts the operations of both."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import aiohttp

from connectors.base import Source
from connectors.seeding import SeedReport
from tests.conftest import ScratchDatabases
from tests.e2e.conftest import grant
from tests.e2e.test_observability import sample
from tests.e2e.test_shutdown import serve_on_city

QUERY = "query Counted($n: NIK!) { citizen(nik: $n) { fullName } }"
ASKED = 30


def serving(log: Path) -> set[int]:
    """The processes that said they listen, in the hub's JSON log."""
    lines = log.read_text(errors="replace").splitlines()
    return {json.loads(x)["process"] for x in lines if '"message": "serving on' in x}


async def test_metrics_sum_every_worker(
    city_dsns: dict[Source | str, str],
    seed_report: SeedReport,
    test_databases: ScratchDatabases,
    tmp_path: Path,
) -> None:
    assert seed_report.city is not None
    hub, settings = await serve_on_city(
        city_dsns, test_databases, tmp_path, "metricsworkers", workers=2, seconds=90
    )
    url = hub.url
    try:
        # One worker answering is not both listening: wait for the second one's bind.
        deadline = time.monotonic() + 90
        while len(serving(tmp_path / "hub.log")) < 2:
            assert time.monotonic() < deadline, "the second worker did not start"
            await asyncio.sleep(0.2)
        headers = await grant(settings, name="qa-metrics-workers")
        people = seed_report.city.people
        # A connection per request, so the kernel spreads them over both workers.
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def ask(nik: str) -> int:
                payload = {"query": QUERY, "variables": {"n": nik}}
                async with session.post(url + "/graphql", json=payload, headers=headers) as r:
                    await r.read()
                    return r.status

            assert set(await asyncio.gather(*(ask(p.nik) for p in people[:ASKED]))) == {200}
            counted = set()
            for _ in range(6):  # several scrapes, answered by either worker
                async with session.get(url + "/metrics") as r:
                    assert r.status == 200
                    text = await r.text()
                # free text: "other" (only registered documents name operations)
                counted.add(sample(text, "citizen_hub_requests_total", operation="other"))
        assert counted == {ASKED}
    finally:
        stopped = await hub.stop(60)
    assert stopped == 0
    # Both workers served some of them (the JSON access lines name the process).
    lines = (tmp_path / "hub.log").read_text().splitlines()
    served = [json.loads(line) for line in lines if '"operation": "other"' in line]
    assert len(served) == ASKED and len({r["process"] for r in served}) == 2
