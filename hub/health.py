"""``GET /healthz`` (the process is alive) and ``GET /readyz`` (it should take traffic).

``/healthz`` touches nothing but the event loop: a load balancer or supervisor that
restarts an instance whose ``/healthz`` fails must not restart every instance because
a database is slow. It answers ``{"status": "ok"}`` (``"stopping"`` during a shutdown).

``/readyz`` says whether this instance should be sent requests, and why not:

- **503** when the hub database does not answer (no token can be checked), when the
  disclosure log's writer cannot write (no citizen data may leave), or while the
  process is shutting down;
- **200** ``"degraded"`` when a product's database does not answer, or Redis (the
  shared limits) does not: every instance shares those, and taking this one out of
  the pool would turn one product's outage into the whole hub's; the hub answers the
  other products' fields and names the missing one (``SOURCE_UNAVAILABLE``), and
  counts limits in-process while Redis is away;
- **200** ``"ready"`` otherwise.

The body names each dependency (``sources`` per product, ``hub``, ``audit``, ``redis``
when configured) with ``reachable`` and milliseconds. The answers come from the guard's
shared reachability probe (one ping per dependency at most every couple of seconds,
whoever asks), so an anonymous flood of readiness checks cannot turn into a flood of
database pings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from connectors.base import Store

if TYPE_CHECKING:
    from connectors.base import SourceDBs
    from hub.access import AuditSink
    from hub.limits import ClientLimits
    from hub.shutdown import Lifecycle
    from schema.guard import ProbeKey, SourceGuard

Ping = Callable[[], Awaitable[object]]


async def _probe(guard: SourceGuard, key: ProbeKey, ping: Ping) -> dict[str, Any]:
    """Whether one dependency answers its ping (lately); never raises."""
    latency = await guard.reachability(key, ping)
    if latency is None:
        return {"reachable": False}
    return {"reachable": True, "ms": latency}


def _json(body: dict[str, Any], status: int) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def liveness_handler(lifecycle: Lifecycle) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def healthz(request: web.Request) -> web.Response:
        return _json({"status": "stopping" if lifecycle.stopping else "ok"}, 200)

    return healthz


class Readiness:
    """The checks behind ``/readyz``; the app fills in the audit sink and limiter at startup."""

    def __init__(self, sources: SourceDBs, guard: SourceGuard, lifecycle: Lifecycle) -> None:
        self.sources = sources
        self.guard = guard
        self.lifecycle = lifecycle
        self.audit: AuditSink | None = None
        self.limiter: ClientLimits | None = None

    async def report(self) -> tuple[int, dict[str, Any]]:
        names = list(self.sources)
        checks: list[Awaitable[dict[str, Any]]] = [
            _probe(self.guard, n, self.sources[n].ping) for n in names
        ]
        checks += [self._hub(), self._audit()]
        if self.limiter is not None and self.limiter.shared:
            checks.append(_probe(self.guard, "redis", self.limiter.redis_ping))
        results = await asyncio.gather(*checks)
        body: dict[str, Any] = {
            "sources": {str(n).upper(): r for n, r in zip(names, results, strict=False)},
            "hub": results[len(names)],
            "audit": results[len(names) + 1],
        }
        if len(results) > len(names) + 2:
            body["redis"] = results[-1]
        reasons = self._blocking(body)
        if reasons:
            return 503, {"status": "unavailable", "reasons": reasons, **body}
        degraded = [f"source {n} does not answer" for n, r in body["sources"].items()
                    if not r["reachable"]]  # fmt: skip
        if "redis" in body and not body["redis"]["reachable"]:
            degraded.append("Redis does not answer: limits are counted per process")
        if degraded:
            return 200, {"status": "degraded", "reasons": degraded, **body}
        return 200, {"status": "ready", **body}

    def _blocking(self, body: dict[str, Any]) -> list[str]:
        reasons = []
        if self.lifecycle.stopping:
            reasons.append("the hub is shutting down")
        if not body["hub"]["reachable"]:
            reasons.append("the hub database does not answer: no token can be checked")
        if not body["audit"]["reachable"]:
            reasons.append("the disclosure log cannot be written: no citizen data may be returned")
        return reasons

    async def _hub(self) -> dict[str, Any]:
        store = getattr(self.sources, "store", None)
        if store is None:
            return {"reachable": False}
        return await _probe(self.guard, Store.HUB, store.ping)

    async def _audit(self) -> dict[str, Any]:
        if self.audit is None:
            return {"reachable": False}
        log = self.audit.log
        writer = getattr(log, "writer", None)
        if writer is not None and getattr(writer, "closing", False):
            return {"reachable": False, "closing": True}

        async def ping() -> None:
            async with log.pool.acquire(timeout=1.0) as conn:
                await conn.fetchval("SELECT 1")

        return await _probe(self.guard, "audit", ping)


def readiness_handler(readiness: Readiness) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def readyz(request: web.Request) -> web.Response:
        status, body = await readiness.report()
        return _json(body, status)

    return readyz
