"""Timing HTTP targets and the hub's floor, and the table that compares them."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiohttp import ClientSession

from hub.access import AuditSink
from schema.execution.ports import Disclosed, Viewer

SHAPES = ("1 citizen", "100 citizens")


@dataclass
class Target:
    """A GraphQL endpoint and the request body of each shape."""

    name: str
    url: str
    headers: dict[str, str]
    bodies: dict[str, bytes]
    session: ClientSession | None = None


@dataclass
class Result:
    p50: float
    p95: float
    rps: float
    n: int
    errors: int


@dataclass
class Tally:
    results: dict[tuple[str, str, str], list[Result]] = field(default_factory=dict)

    def add(self, key: tuple[str, str, str], r: Result) -> None:
        self.results.setdefault(key, []).append(r)

    def median(self, key: tuple[str, str, str], attr: str) -> float:
        return float(statistics.median(getattr(r, attr) for r in self.results[key]))


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


async def one_request(t: Target, body: bytes) -> tuple[float, bool, bytes]:
    assert t.session is not None
    start = time.perf_counter()
    async with t.session.post(t.url, data=body, headers=t.headers) as r:
        payload = await r.read()
        good = r.status == 200 and b'"errors"' not in payload
    return (time.perf_counter() - start) * 1000, good, payload


async def measure(t: Target, shape: str, n: int, clients: int, cap: float) -> Result:
    """n requests by ``clients`` concurrent clients (1: sequential), stopping at ``cap`` s."""
    body = t.bodies[shape]
    # Re-warm the keep-alive connections (PostGraphile's idle ones close after 5 s).
    await asyncio.gather(*(one_request(t, body) for _ in range(clients)))
    samples: list[float] = []
    errors = 0
    first_error: bytes | None = None
    issued = 0
    deadline = time.perf_counter() + cap

    async def client() -> None:
        nonlocal issued, errors, first_error
        while issued < n and time.perf_counter() < deadline:
            issued += 1
            ms, good, payload = await one_request(t, body)
            samples.append(ms)
            if not good:
                errors += 1
                first_error = first_error or payload[:400]

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    if first_error:
        print(f"    {t.name}: {errors} answers with errors, first: {first_error!r}")
    if len(samples) < n:
        print(f"    {t.name}: capped at {cap:.0f}s after {len(samples)} of {n} requests")
    return Result(
        statistics.median(samples), pct(samples, 0.95), len(samples) / elapsed, len(samples), errors
    )


class NullAudit(AuditSink):
    """Stands in for the disclosure log: the floor's reads alone."""

    def __init__(self) -> None:
        pass

    async def record(
        self, request_id: str, viewer: Viewer, disclosed: Mapping[str, Disclosed]
    ) -> None:
        return None


class Floor:
    """bench.graph's floor(): the hub's batched statements through its connectors, in
    this process, with the hub's settings file (no GraphQL, no HTTP)."""

    def __init__(self, conf: Path) -> None:
        self.conf = conf
        self.runner: Any = None
        self.sources: Any = None
        self.audit: Any = None

    async def __aenter__(self) -> Floor:
        from aiohttp import web

        from connectors import pools
        from hub.app import SOURCES, create_app
        from hub.keys import AUDIT_SINK
        from hub.settings import load_settings

        # Sequential: two connections per database; the hubs beside it need the rest.
        settings = load_settings(self.conf, environ={})
        app = create_app(replace(settings, database_connections=pools.MIN_PER_PROCESS))
        self.runner = web.AppRunner(app)
        await self.runner.setup()  # the app's startup: pools, migrations, audit sink
        self.sources, self.audit = app[SOURCES], app[AUDIT_SINK]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.cleanup()

    async def measure(self, niks: list[str], n: int, cap: float, audit: bool = True) -> Result:
        """The floor; with ``audit=False``, its reads without the disclosure write."""
        from bench.graph import floor

        sink: AuditSink = self.audit if audit else NullAudit()
        for _ in range(5):
            await floor(self.sources, sink, niks)
        samples = []
        deadline = time.perf_counter() + cap
        started = time.perf_counter()
        for _ in range(n):
            t = time.perf_counter()
            await floor(self.sources, sink, niks)
            samples.append((time.perf_counter() - t) * 1000)
            if time.perf_counter() > deadline:
                break
        elapsed = time.perf_counter() - started
        return Result(
            statistics.median(samples), pct(samples, 0.95), len(samples) / elapsed, len(samples), 0
        )


def report(
    tally: Tally,
    rounds: int,
    requests: int,
    clients: int,
    matched: bool,
    hubs: Sequence[str],
) -> None:
    """The medians: each hub, PostGraphile, each hub's ratio to it, the floor."""
    print(
        f"\nMedians over {rounds} rounds; {requests} requests per measurement;"
        f" x{clients} = {clients} concurrent clients (latency includes queueing)."
    )
    print("/PGL: latency ratio > 1 means the hub is slower; req/s ratio > 1 means it is faster.")
    ratios = [f"{h}/PGL" for h in hubs]
    head = f"{'shape':<13}{'mode':<5}{'metric':<8}" + "".join(f"{h:>9}" for h in hubs)
    head += f"{'PostGraphile':>13}" + "".join(f"{r:>12}" for r in ratios)
    head += f"{'floor':>9}{'reads':>9}"
    print(head)
    print("-" * len(head))
    for shape in SHAPES:
        for mode in ("seq", f"x{clients}"):
            for attr, unit in (("p50", "p50 ms"), ("p95", "p95 ms"), ("rps", "req/s")):
                g = tally.median((shape, mode, "PostGraphile"), attr)
                values = [tally.median((shape, mode, h), attr) for h in hubs]
                line = f"{shape:<13}{mode:<5}{unit:<8}" + "".join(f"{v:9.2f}" for v in values)
                line += f"{g:13.2f}" + "".join(f"{v / g:12.2f}" for v in values)
                line += "".join(
                    f"{tally.median((shape, mode, k), attr):9.2f}"
                    for k in ("floor", "reads")
                    if (shape, mode, k) in tally.results
                )
                print(line)
    errors = sum(r.errors for rs in tally.results.values() for r in rs)
    print(
        f"answers matched: {'yes' if matched else 'NO (see MISMATCH lines)'};"
        f" answers with errors during measurement: {errors}"
    )
    print(
        "floor: bench.graph's floor(): the hub's batched SQL through asyncpg, in process, no"
        " GraphQL,\n  no HTTP, sequential, with the disclosure-log write; reads: the same"
        " without that write."
    )
