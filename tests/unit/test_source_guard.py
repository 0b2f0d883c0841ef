"""The source guard's circuit breaker counts what the source did, not what callers did."""

from __future__ import annotations

import asyncio

import pytest

from connectors.base import Source
from schema.errors import SourceUnavailable
from schema.guard import RequestSources, SourceGuard


async def _hang() -> None:
    await asyncio.sleep(60)


async def _refused() -> None:
    raise ConnectionRefusedError


async def test_callers_that_leave_mid_read_do_not_open_the_circuit() -> None:
    guard = SourceGuard(timeout_ms=5000, failures=3, reset_seconds=30)
    for _ in range(5):
        call = asyncio.ensure_future(guard.call(Source.SIAK, RequestSources(), _hang))
        await asyncio.sleep(0.01)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
    assert await guard.state(Source.SIAK) == "closed"


async def test_a_source_that_refuses_connections_opens_it() -> None:
    guard = SourceGuard(timeout_ms=5000, failures=3, reset_seconds=30)
    for _ in range(3):
        with pytest.raises(SourceUnavailable):
            await guard.call(Source.SIAK, RequestSources(), _refused)
    assert await guard.state(Source.SIAK) == "opened"
