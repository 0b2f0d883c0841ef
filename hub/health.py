"""``GET /healthz``: whether each source database answers, as JSON."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

if TYPE_CHECKING:
    from connectors.base import SourceDB

HEALTH_TIMEOUT = 1.0


async def probe(db: SourceDB) -> dict[str, Any]:
    """``SELECT 1`` on one source with a short timeout; never raises."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            await db.ping()
    except Exception as exc:  # any failure means "not reachable"; the kind is reported
        return {"reachable": False, "error": type(exc).__name__}
    return {"reachable": True, "ms": round((time.perf_counter() - started) * 1000, 2)}


def health_handler(sources: dict[str, SourceDB]) -> Any:
    async def healthz(request: web.Request) -> web.Response:
        names = list(sources)
        results = await asyncio.gather(*(probe(sources[n]) for n in names))
        body = {str(n).upper(): r for n, r in zip(names, results, strict=True)}
        healthy = all(r["reachable"] for r in results)
        return web.Response(
            body=orjson.dumps({"status": "ok" if healthy else "degraded", "sources": body}),
            status=200 if healthy else 503,
            content_type="application/json",
        )

    return healthz
