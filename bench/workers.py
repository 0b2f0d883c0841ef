"""HTTP throughput of the hub with 1 worker and with one per core, in one run.

Starts ``citizen-hub serve --workers N`` on the demo city (.data, seeded first
when empty by ``bench.graph``'s rules) and POSTs the 100-citizen, eight-product
query from concurrent clients on loopback.

    .venv/bin/python -m bench.workers [--rounds 400] [--clients 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import tempfile
from dataclasses import replace
from pathlib import Path

import asyncpg

from bench.graph import over_http
from bench.serving import start_hub
from connectors.base import Source
from connectors.city import build_city
from connectors.seeding import seeded_marker
from hub.databases import resolve
from hub.demo import demo_partner_headers
from hub.embedded import ensure_databases
from hub.migrate import migrate_dsn
from hub.settings import load_settings


def unlimited_settings() -> str:
    """A settings file lifting the per-client rate: the benchmark is one client asking fast."""
    fd, path = tempfile.mkstemp(suffix=".toml", prefix="citizen-hub-bench-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("[limits]\nrequests_per_minute = 1000000000\n")
    return path


async def main(rounds: int, clients: int) -> None:
    databases = await resolve(load_settings(), keep_embedded=True)
    settings = databases.settings
    created: list[tuple[str, str]] = []
    try:
        marker = await seeded_marker(settings.source_dsns[Source.SIAK])
        if marker is None:
            raise SystemExit("seed the demo city first: make demo (or python -m bench.graph)")
        fields = dict(p.split("=", 1) for p in marker.split() if "=" in p)
        city = build_city(int(fields["citizens"]), int(fields["seed"]))
        niks = [p.nik for p in city.people if p.age() >= 18][:100]
        # serve seals the hub's signing keys under a key-encryption key; a hub database
        # of the bench's own keeps the demo's keys as `make demo` left them.
        assert settings.hub_dsn is not None
        base, _, query = settings.hub_dsn.partition("?")
        hub_name = f"bench_hub_{secrets.token_hex(3)}"
        admin = base.rsplit("/", 1)[0] + "/postgres" + (f"?{query}" if query else "")
        await ensure_databases(admin, [hub_name])
        created.append((admin, hub_name))
        hub_dsn = base.rsplit("/", 1)[0] + f"/{hub_name}" + (f"?{query}" if query else "")
        await migrate_dsn(hub_dsn)
        kek = secrets.token_bytes(32)
        settings = replace(
            settings,
            hub_dsn=hub_dsn,
            auth=replace(settings.auth, key_encryption_key=kek),
            audit=replace(settings.audit, dsn=None),
        )
        _, headers = await demo_partner_headers(settings)
        env = {**os.environ, "CITIZEN_HUB_HUB_DSN": hub_dsn}
        env.pop("CITIZEN_HUB_AUDIT_DSN", None)
        env.update({f"CITIZEN_HUB_{s.name}_DSN": settings.source_dsns[s] for s in Source})
        cores = os.cpu_count() or 1
        print(f"100 citizens, eight products; {rounds} requests from {clients} clients")
        print(f"{'workers':>8} {'median ms':>10} {'p99 ms':>8} {'req/s':>8}")
        results = {}
        for workers in sorted({1, cores}):
            toml = unlimited_settings()
            try:
                hub = await start_hub(env, config=Path(toml), kek=kek, workers=workers)
                try:
                    median, p99, rps = await over_http(
                        hub.url + "/graphql", headers, niks, rounds, clients
                    )
                finally:
                    await hub.stop()
            finally:
                os.unlink(toml)
            results[workers] = rps
            print(f"{workers:>8} {median:10.2f} {p99:8.2f} {rps:8.0f}")
        if len(results) > 1:
            print(f"throughput ratio {cores} workers / 1: {results[cores] / results[1]:.2f}")
    finally:
        for admin, name in created:
            conn = await asyncpg.connect(admin)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()
        databases.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.clients))
