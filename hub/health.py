"""``GET /healthz``: whether each source database answers, as JSON.

The answers come from the guard's shared reachability probe (one ping per source
at most every couple of seconds, whoever asks), so an anonymous flood of health
checks cannot turn into a flood of database pings.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectors.base import Source, SourceDB
    from schema.guard import SourceGuard


async def probe(guard: SourceGuard, source: Source, db: SourceDB) -> dict[str, Any]:
    """Whether one source answers ``SELECT 1`` (lately); never raises."""
    latency = await guard.reachability(source, db.ping)
    if latency is None:
        return {"reachable": False}
    return {"reachable": True, "ms": latency}


def health_handler(sources: Mapping[Source, SourceDB], guard: SourceGuard) -> Any:
    async def healthz(request: web.Request) -> web.Response:
        names = list(sources)
        results = await asyncio.gather(*(probe(guard, n, sources[n]) for n in names))
        body = {str(n).upper(): r for n, r in zip(names, results, strict=True)}
        healthy = all(r["reachable"] for r in results)
        return web.Response(
            body=orjson.dumps({"status": "ok" if healthy else "degraded", "sources": body}),
            status=200 if healthy else 503,
            content_type="application/json",
        )

    return healthz
