"""Stopping on SIGTERM without leaving anything half-done.

:func:`serve_until_stopped` serves until SIGTERM (or SIGINT), then:

1. closes the listening socket: new connections are refused;
2. waits ``ACCEPT_GRACE`` seconds, so that a connection accepted just before the stop
   sends its request and is served, rather than being closed unread (its client could
   not tell whether a POST had run);
3. hands over to aiohttp's runner, which lets idle keep-alive connections go, calls the
   app's ``on_shutdown``, waits up to ``[server] shutdown_seconds`` for the requests in
   flight, and only then runs the cleanup contexts, which flush the disclosure log's
   writer and close the pools (:mod:`hub.app`).

What the app itself adds (:func:`add_graceful_shutdown`):

- :attr:`Lifecycle.stopping`, set at ``on_shutdown``: ``/readyz`` answers 503 from then
  on, and a request that still arrives on an open connection gets a clean
  ``503 the hub is shutting down`` with ``Connection: close`` instead of work that
  might be cut off;
- every open websocket is closed with 1001 (going away), so a subscription ends with
  a code its client knows to reconnect on, rather than a dropped connection, and its
  handler returns before the deadline.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, web

log = logging.getLogger(__name__)

GOING_AWAY_MESSAGE = b"the hub is shutting down"
ACCEPT_GRACE = 0.5  # seconds: a request on a connection accepted before the stop arrives
STILL_ANSWERED = frozenset({"/healthz", "/readyz", "/metrics"})


@dataclass(slots=True)
class Lifecycle:
    """Whether this process still takes work, and the websockets it would have to close."""

    stopping: bool = False
    sockets: weakref.WeakSet[web.WebSocketResponse] = field(default_factory=weakref.WeakSet)


LIFECYCLE = web.AppKey("lifecycle", Lifecycle)


async def _track_sockets(request: web.Request, response: web.StreamResponse) -> None:
    if isinstance(response, web.WebSocketResponse):
        request.app[LIFECYCLE].sockets.add(response)


async def _begin_shutdown(app: web.Application) -> None:
    lifecycle = app[LIFECYCLE]
    lifecycle.stopping = True
    sockets = [s for s in lifecycle.sockets if not s.closed]
    if sockets:
        log.info("shutting down: closing %d websockets (1001)", len(sockets))
    closing = [s.close(code=WSCloseCode.GOING_AWAY, message=GOING_AWAY_MESSAGE) for s in sockets]
    for outcome in await asyncio.gather(*closing, return_exceptions=True):
        if isinstance(outcome, Exception):
            log.warning("a websocket could not be closed cleanly: %s", type(outcome).__name__)


@web.middleware
async def refuse_while_stopping(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A request that arrives once the shutdown began is refused, whole and at once; the
    health, readiness and metrics endpoints still answer (with what the stop means)."""
    if request.app[LIFECYCLE].stopping and request.path not in STILL_ANSWERED:
        return web.json_response(
            {"errors": [{"message": "the hub is shutting down; try again",
                         "extensions": {"code": "UNAVAILABLE"}}]},
            status=503,
            headers={"Retry-After": "1", "Connection": "close"},
        )  # fmt: skip
    return await handler(request)


def add_graceful_shutdown(app: web.Application) -> Lifecycle:
    """Install the shutdown's part on ``app`` (see the module docstring)."""
    lifecycle = Lifecycle()
    app[LIFECYCLE] = lifecycle
    app.on_response_prepare.append(_track_sockets)
    app.on_shutdown.append(_begin_shutdown)
    app.middlewares.append(refuse_while_stopping)
    return lifecycle


async def serve_until_stopped(
    app: web.Application,
    *,
    host: str,
    port: int,
    reuse_port: bool,
    shutdown_seconds: float,
    **server_options: Any,
) -> None:
    """Serve ``app`` on ``host``:``port`` until SIGTERM or SIGINT, then stop as the module
    docstring says. ``server_options`` go to aiohttp's server (``access_log_class``).

    The signals are handled here rather than by ``web.run_app``, whose runner closes the
    connections it accepted a moment before, unread, as soon as it stops.
    """
    runner = web.AppRunner(
        app, handle_signals=False, shutdown_timeout=shutdown_seconds, **server_options
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_port=reuse_port)
        await site.start()
        log.info("serving on %s:%s", host, port)  # after the bind: this process takes work
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        log.info("stopping: no new connections; requests in flight get %.0f s", shutdown_seconds)
        # Two turns of the loop first: connections the kernel completed while the loop
        # was busy wait in the listen queue; accepted now, they are served, where closing
        # the port under them would reset them. One that completes in the instant the
        # port closes is still reset, before the hub read a byte of it.
        for _ in range(2):
            await asyncio.sleep(0)
        await site.stop()
        await asyncio.sleep(ACCEPT_GRACE)
    finally:
        await runner.cleanup()
