"""The citizen graph, measured three ways in one run, for 1 and for 100 citizens.

(a) floor      — the same batched reads, straight through the connectors on asyncpg
                 (one statement per source per level, run concurrently), no GraphQL;
(b) in-process — the GraphQL query executed through the schema;
(c) HTTP       — the same query POSTed to the hub on loopback, by one client (latency)
                 and by concurrent clients (throughput; their latency includes queueing).

Uses the demo city in .data (seeding it first when empty), or the databases the
settings name. Prints medians, p99, requests/s and each ratio to the floor.

    .venv/bin/python -m bench.graph [--rounds 200] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from bench.shapes import HUB_SELECTION
from connectors.antrian import reads as antrian_reads
from connectors.base import Source, SourceDBs
from connectors.city import build_city
from connectors.crosswalk import reads as lookups
from connectors.seeding import seed_city, seeded_marker
from connectors.siak import reads as siak_reads
from connectors.sipbd import reads as sipbd_reads
from hub.access import AuditSink
from hub.app import GUARD, SOURCES, create_app
from hub.auth import SCOPES
from hub.databases import resolve
from hub.demo import DEMO_PURPOSE, demo_partner_headers
from hub.keys import AUDIT_SINK, LIMITER
from hub.settings import Settings, load_settings
from identity.kinds import IdentifierKind, LinkMethod
from schema.build import build_schema
from schema.context import Context
from schema.execution.ports import Disclosed, Viewer
from schema.products import BY_NIK

QUERY = "query Bench($niks: [NIK!]!) { citizens(niks: $niks) {" + HUB_SELECTION + "} }"


BENCH_VIEWER = Viewer(scopes=SCOPES, client_id="bench", purpose=DEMO_PURPOSE)
_PRODUCTS = [(p.field, p.source, p.read) for p in BY_NIK if isinstance(p.source, Source)]


async def floor(sources: SourceDBs, audit: AuditSink, niks: list[str]) -> None:
    """The statements the GraphQL query sends, sent directly, with nothing on top:
    the eight products and the crosswalk (its links and the records in doubt) at the
    first level; SIPBD through SIKDa's NIPs and the matched walk-in tickets at the
    second; the disclosure log's one write."""
    assert sources.store is not None
    found = await asyncio.gather(
        siak_reads.profiles_by_nik(sources[Source.SIAK], niks),
        *(read(sources[source], niks) for _, source, read in _PRODUCTS),
        lookups.crosswalk_by_nik(sources.store, niks),
    )
    servants = found[1 + [field for field, _, _ in _PRODUCTS].index("employment")]
    matched = [
        link.value
        for crosswalk in found[-1].values()
        for link in crosswalk.links
        if link.kind is IdentifierKind.QUEUE_TICKET and link.method is LinkMethod.MATCHED
    ]
    await asyncio.gather(
        sipbd_reads.assets_by_nip(sources[Source.SIPBD], [s.nip for s in servants.values()]),
        antrian_reads.tickets_by_id(sources[Source.ANTRIAN], matched),
    )
    disclosed = {nik: Disclosed({"fullName"}, {"SIAK"}) for nik in found[0]}
    await audit.record("bench", BENCH_VIEWER, disclosed)


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99


async def timed(rounds: int, run: Callable[[], Awaitable[Any]]) -> tuple[float, float, float]:
    for _ in range(min(20, rounds)):  # warm caches and pools
        await run()
    samples = []
    started = time.perf_counter()
    for _ in range(rounds):
        t = time.perf_counter()
        await run()
        samples.append((time.perf_counter() - t) * 1000)
    elapsed = time.perf_counter() - started
    median, p99 = summary(samples)
    return median, p99, rounds / elapsed


async def over_http(
    url: str, headers: dict[str, str], niks: list[str], rounds: int, clients: int
) -> tuple[float, ...]:
    samples: list[float] = []
    async with aiohttp.ClientSession(headers=headers) as session:

        async def one() -> None:
            t = time.perf_counter()
            async with session.post(url, json={"query": QUERY, "variables": {"niks": niks}}) as r:
                body = await r.read()
                assert r.status == 200 and b'"errors"' not in body, body[:300]
            samples.append((time.perf_counter() - t) * 1000)

        async def client(n: int) -> None:
            for _ in range(n):
                await one()

        await asyncio.gather(*(client(5) for _ in range(clients)))  # warm-up
        samples.clear()
        started = time.perf_counter()
        await asyncio.gather(*(client(rounds // clients) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    median, p99 = summary(samples)
    return median, p99, len(samples) / elapsed


async def main(rounds: int, clients: int) -> None:
    databases = await resolve(load_settings())
    # The benchmark is one client asking fast: far past the anti-harvesting rate.
    settings: Settings = replace(
        databases.settings,
        limits=replace(databases.settings.limits, requests_per_minute=10**9),
    )
    try:
        marker = await seeded_marker(settings.source_dsns[Source.SIAK])
        if marker is None:
            print("seeding the demo city (10,000 citizens, seed 42) first…")
            await seed_city(settings.source_dsns, 10_000, 42)
            marker = await seeded_marker(settings.source_dsns[Source.SIAK])
        assert marker is not None
        fields = dict(p.split("=", 1) for p in marker.split() if "=" in p)
        city = build_city(int(fields["citizens"]), int(fields["seed"]))
        adults = [p.nik for p in city.people if p.age() >= 18]
        showcase = [m.nik for f in city.showcase for m in f.members]
        app = create_app(settings)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            sources = app[SOURCES]
            schema = build_schema()
            limits = settings.limits
            guard = app[GUARD]  # the same timeouts and breakers the HTTP path uses
            # In-process and HTTP run as the same partner, so both pay for the
            # access decision and the disclosure log write, as every real request does.
            client_id, headers = await demo_partner_headers(settings)
            viewer = Viewer(scopes=SCOPES, client_id=client_id, purpose=DEMO_PURPOSE)
            print(f"city: {fields['citizens']} citizens; {rounds} rounds; {clients} HTTP clients")
            header = f"{'':>14} {'median ms':>10} {'p99 ms':>8} {'req/s':>8} {'x floor':>8}"
            for label, niks in (
                ("1 citizen", showcase[:1]),
                ("100 citizens", (showcase + adults)[:100]),
            ):

                async def in_process(niks: list[str] = niks) -> None:
                    result = await schema.execute(
                        QUERY,
                        variable_values={"niks": niks},
                        context_value=Context(
                            sources,
                            guard,
                            limits,
                            viewer=viewer,
                            audit=app[AUDIT_SINK],
                            limiter=app[LIMITER],
                        ),
                    )
                    assert not result.errors, result.errors

                async def raw(niks: list[str] = niks) -> None:
                    await floor(sources, app[AUDIT_SINK], niks)

                base = await timed(rounds, raw)
                graph = await timed(rounds, in_process)
                url = str(server.make_url("/graphql"))
                http_one = await over_http(url, headers, niks, rounds, 1)
                http_many = await over_http(url, headers, niks, rounds, clients)
                print(f"\n{label}\n{header}")
                for name, (median, p99, rps) in (
                    ("(a) floor", base),
                    ("(b) in-process", graph),
                    ("(c) HTTP x1", http_one),
                    (f"(c) HTTP x{clients}", http_many),
                ):
                    ratio = median / base[0]
                    print(f"{name:>14} {median:10.2f} {p99:8.2f} {rps:8.0f} {ratio:8.2f}")
        finally:
            await server.close()
    finally:
        databases.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.clients))
