"""What an open websocket may hold: a number per client address, and time only while used.

A socket costs the hub memory and a task for as long as it is open, whoever opened it and
whether or not it ever runs an operation. So:

- at most ``[limits] websockets_per_address`` are open from one client address (as
  :func:`hub.client_address.client_address` tells it) in each hub process; one more is
  refused before the upgrade with ``429 Too Many Requests`` and ``Retry-After``, a
  refusal every websocket client reports as a failed connection;
- a socket with no operation running for ``[limits] websocket_idle_seconds`` is closed
  with 1000 (Normal Closure). graphql-ws clients treat 1000 as a clean end, not an
  error: a lazy client (the default) opens a new socket at its next subscription, and
  a retrying one reconnects. 4408 would be wrong: it means ``connection_init`` never
  came, which the protocol handler already closes with after ten seconds.

A subscription keeps its socket open for as long as it runs; each new operation starts
the idle time again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Final

import orjson
from aiohttp import web

from hub import metrics
from hub.websocket import LegacyWSHandler, TransportWSHandler

IDLE = 1000
IDLE_REASON: Final = "closed after {seconds:g} s with no operation"
SOCKETS_LIMIT: Final = "websockets"  # the limit label of a socket refused at the cap
RETRY_AFTER_SECONDS: Final = 30


class SocketCount:
    """The websockets open from each client address, in this process."""

    def __init__(self) -> None:
        self._open: Counter[str] = Counter()

    def admit(self, address: str, cap: int) -> None:
        """Count one more socket from ``address``, or raise the 429 that refuses it."""
        if self._open[address] >= cap:
            metrics.LIMIT_REFUSALS.labels(SOCKETS_LIMIT).inc()
            body = {
                "errors": [
                    {
                        "message": f"at most {cap} websockets may be open from one address:"
                        " close one, or retry later",
                        "extensions": {"code": "LIMIT_EXCEEDED", "limit": SOCKETS_LIMIT},
                    }
                ]
            }
            raise web.HTTPTooManyRequests(
                text=orjson.dumps(body).decode(),
                content_type="application/json",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        self._open[address] += 1

    def release(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]


class IdleWatch:
    """Closes a socket once ``busy()`` has been false for ``seconds`` since the last
    operation began (:meth:`touch`)."""

    def __init__(self, seconds: float, busy: Callable[[], bool]) -> None:
        self.seconds = seconds
        self.busy = busy
        self.active_at = time.monotonic()

    def touch(self) -> None:
        self.active_at = time.monotonic()

    async def run(self, close: Callable[[int, str], Any]) -> None:
        # Checked a few times per idle period: a socket lives at most a quarter longer.
        tick = min(max(self.seconds / 4, 0.05), 15.0)
        while True:
            await asyncio.sleep(tick)
            if self.busy():
                self.touch()
            elif time.monotonic() - self.active_at >= self.seconds:
                await close(IDLE, IDLE_REASON.format(seconds=self.seconds))
                return


def _idle_seconds(view: object) -> float:
    limits = getattr(view, "limits", None)
    return float(getattr(limits, "websocket_idle_seconds", 60.0))


class _ClosesWhenIdle:
    """Mixed in before a strawberry protocol handler: watches it while it runs, and
    counts a message of type :attr:`starts` (an operation begun) as activity."""

    starts: str
    view: Any
    websocket: Any
    idle: IdleWatch

    def busy(self) -> bool:
        raise NotImplementedError  # the protocol handler's own record of running operations

    async def handle(self) -> None:
        self.idle = IdleWatch(_idle_seconds(self.view), self.busy)
        watch = asyncio.create_task(self.idle.run(self.websocket.close))
        try:
            await super().handle()  # type: ignore[misc]
        finally:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch

    async def handle_message(self, message: Any) -> None:
        if isinstance(message, dict) and message.get("type") == self.starts:
            self.idle.touch()
        await super().handle_message(message)  # type: ignore[misc]


class IdleTransportWSHandler(_ClosesWhenIdle, TransportWSHandler):
    """graphql-transport-ws, closed when idle (the module docstring)."""

    starts = "subscribe"

    def busy(self) -> bool:
        return bool(self.operations)


class IdleLegacyWSHandler(_ClosesWhenIdle, LegacyWSHandler):
    """The older graphql-ws, closed when idle (the module docstring)."""

    starts = "start"

    def busy(self) -> bool:
        return bool(self.tasks)
