"""Calls to a source under a timeout and a circuit breaker, timed for ``extensions.sources``.

The circuit breaker is purgatory's (asyncio, in-memory per process, with a Redis
store available when several instances must share circuit state). A circuit opens
after ``breaker_failures`` consecutive failures, answers at once with
SOURCE_UNAVAILABLE while open, and lets one probe through after
``breaker_reset_seconds``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import asyncpg
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState

from connectors.base import DATABASE_ERRORS, Source, Store
from schema.errors import BadUserInput, SourceTimeout, SourceUnavailable

T = TypeVar("T")
log = logging.getLogger(__name__)

# Told of every call once it ended: the source, its seconds, its status (as in
# ``SourceCall``) and the circuit's state; the hub's metrics and traces listen here.
SourceObserver = Callable[[Source | Store, float, str, str], None]
# What a reachability answer is kept under: a source, the hub's store, or another
# dependency the hub probes the same way (the audit writer, Redis).
ProbeKey = Source | Store | str

# What counts as the source failing (and so towards opening its circuit). A bug
# in our own code is not the source's fault and must not open its circuit; it
# surfaces as INTERNAL instead.
SOURCE_FAILURES = DATABASE_ERRORS
PROBE_TTL = 2.0  # seconds a reachability answer is reused
PROBE_TIMEOUT = 1.0


@dataclass(slots=True)
class SourceCall:
    """What one request saw of one source: for ``extensions.sources``."""

    status: str = "ok"  # ok | unavailable | timeout | circuit_open
    calls: int = 0
    ms: float = 0.0
    circuit: str = "closed"


@dataclass(slots=True)
class RequestSources:
    """Per-request record of every source touched."""

    calls: dict[Source | Store, SourceCall] = field(default_factory=dict)

    def as_extension(self) -> dict[str, dict[str, object]]:
        return {
            s.name: {
                "status": c.status,
                "calls": c.calls,
                "ms": round(c.ms, 2),
                "circuit": c.circuit,
            }
            for s, c in self.calls.items()
        }


class SourceGuard:
    """One per process: the timeout and circuit breakers around every source call."""

    def __init__(self, timeout_ms: int, failures: int, reset_seconds: float) -> None:
        self.timeout = timeout_ms / 1000
        self.breakers = AsyncCircuitBreakerFactory(
            default_threshold=failures,
            default_ttl=reset_seconds,
            # A cancelled call is the caller going away (a client that left, a shutdown),
            # not the source failing: counted, three clients leaving mid-query would open
            # the circuit for everyone. A timeout reaches the breaker as TimeoutError.
            exclude=[(Exception, _not_a_source_failure), (asyncio.CancelledError, _always)],
        )
        # Reachability answers shared by every caller for PROBE_TTL seconds, and one
        # ping in flight per source: a request asking ``sources`` under 450 aliases,
        # or ten such requests at once, costs at most one ping per source.
        self._probed: dict[ProbeKey, tuple[float, float | None]] = {}
        self._probing: dict[ProbeKey, asyncio.Future[float | None]] = {}
        self.observer: SourceObserver | None = None

    async def reachability(
        self, source: ProbeKey, ping: Callable[[], Awaitable[object]]
    ) -> float | None:
        """Milliseconds a ``SELECT 1`` took on ``source`` lately, or None: unreachable."""
        probed = self._probed.get(source)
        if probed is not None and time.monotonic() - probed[0] < PROBE_TTL:
            return probed[1]
        pending = self._probing.get(source)
        if pending is None:
            pending = asyncio.ensure_future(_ping(ping))
            self._probing[source] = pending
            pending.add_done_callback(lambda done: self._remember(source, done))
        return await asyncio.shield(pending)

    def _remember(self, source: ProbeKey, done: asyncio.Future[float | None]) -> None:
        self._probing.pop(source, None)
        if not done.cancelled():
            self._probed[source] = (time.monotonic(), done.result())

    async def state(self, source: Source | Store) -> str:
        breaker = await self.breakers.get_breaker(source.value)
        return str(breaker.context.state)

    async def call(
        self,
        source: Source | Store,
        seen: RequestSources,
        read: Callable[[], Awaitable[T]],
    ) -> T:
        """Run ``read`` against ``source``; failures become SourceError naming it."""
        record = seen.calls.setdefault(source, SourceCall())
        record.calls += 1
        started = time.perf_counter()
        breaker = await self.breakers.get_breaker(source.value)
        outcome = "error"  # until it returns or fails in a way named below
        try:
            async with breaker:
                async with asyncio.timeout(self.timeout):
                    result = await read()
                    outcome = "ok"
                    return result
        except asyncpg.DataError as exc:
            # SQLSTATE class 22: a value the database cannot take (NUL in text, an
            # out-of-range number). The caller's input, not the source failing: it
            # must not count toward opening the circuit for everyone.
            outcome = "bad_input"
            raise BadUserInput(
                f"{source.name} cannot take a value of this request ({_reason(exc)})",
                rule="invalid_value",
            ) from None
        except OpenedState:
            record.status = outcome = "circuit_open"
            raise SourceUnavailable(source, "circuit open after repeated failures") from None
        except TimeoutError:
            record.status = outcome = "timeout"
            raise SourceTimeout(source, f"no answer within {self.timeout * 1000:.0f} ms") from None
        except SOURCE_FAILURES as exc:
            record.status = outcome = "unavailable"
            log.warning("source %s failed: %s", source.name, type(exc).__name__)
            raise SourceUnavailable(source, _reason(exc)) from None
        finally:
            elapsed = time.perf_counter() - started
            record.ms += elapsed * 1000
            record.circuit = str(breaker.context.state)
            if self.observer is not None:
                self.observer(source, elapsed, outcome, record.circuit)


async def _ping(ping: Callable[[], Awaitable[object]]) -> float | None:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            await ping()
    except Exception:  # unreachable, whatever the reason: that is the answer
        return None
    return round((time.perf_counter() - started) * 1000, 2)


def _always(exc: BaseException) -> bool:
    return True


def _not_a_source_failure(exc: BaseException) -> bool:
    return not isinstance(exc, SOURCE_FAILURES) or isinstance(exc, asyncpg.DataError)


def _reason(exc: BaseException) -> str:
    # Only the kind of failure, never the server's message: it can quote SQL and values.
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, asyncpg.PostgresError):
        return f"database error {exc.sqlstate}"
    return type(exc).__name__
