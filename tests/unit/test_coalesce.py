"""Reads asked in the same turn share one statement; each caller gets its own rows only."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from schema.coalesce import Coalesced


class Source:
    """Answers every key with a row naming it; records each statement it receives."""

    def __init__(self, fail: Exception | None = None, wait: float = 0) -> None:
        self.statements: list[tuple[list[str], list[Any]]] = []
        self.fail = fail
        self.wait = wait
        self.finished = 0
        self.sent = asyncio.Event()

    async def send(self, keys: list[str], needs: list[Any]) -> dict[str, str]:
        self.statements.append((keys, needs))
        self.sent.set()
        await asyncio.sleep(self.wait)
        if self.fail is not None:
            raise self.fail
        if "bad" in keys:  # a row the connector cannot read
            raise ValueError("cannot read the row of bad")
        self.finished += 1
        return {k: f"row of {k}" for k in keys if k != "unknown"}


def _outage(error: Exception) -> bool:
    return isinstance(error, ConnectionError)


def coalesced(source: Source) -> Coalesced[Any]:
    return Coalesced(source.send, shared=_outage)


async def test_callers_of_one_turn_share_one_statement_and_see_their_own_keys_only() -> None:
    source = Source()
    read = coalesced(source)
    first, second, third = await asyncio.gather(
        read.load(["a", "b"], 1), read.load(["b", "c", "unknown"], 2), read.load(["a"])
    )
    assert source.statements == [(["a", "b", "c", "unknown"], [1, 2])]
    assert first == {"a": "row of a", "b": "row of b"}
    assert second == {"b": "row of b", "c": "row of c"}
    assert third == {"a": "row of a"}


async def test_a_caller_of_a_later_turn_gets_a_statement_of_its_own() -> None:
    source = Source()
    read = coalesced(source)
    assert await read.load(["a"]) == {"a": "row of a"}
    assert await read.load(["b"]) == {"b": "row of b"}
    assert [keys for keys, _ in source.statements] == [["a"], ["b"]]


async def test_every_caller_gets_the_error_of_the_statement() -> None:
    source = Source(fail=ConnectionError("down"))
    read = coalesced(source)
    results = await asyncio.gather(read.load(["a"]), read.load(["b"]), return_exceptions=True)
    assert [type(r) for r in results] == [ConnectionError, ConnectionError]
    assert len(source.statements) == 1  # an outage is not asked again per caller


async def test_a_row_one_caller_asked_for_fails_that_caller_alone() -> None:
    source = Source()
    read = coalesced(source)
    results = await asyncio.gather(
        read.load(["a", "bad"], 1), read.load(["b"], 2), return_exceptions=True
    )
    assert isinstance(results[0], ValueError)
    assert results[1] == {"b": "row of b"}
    # The shared statement, then each caller's own keys with its own need.
    assert source.statements == [(["a", "bad", "b"], [1, 2]), (["a", "bad"], [1]), (["b"], [2])]


async def test_a_statement_every_caller_left_is_cancelled() -> None:
    source = Source(wait=0.5)
    read = coalesced(source)
    first, second = (asyncio.ensure_future(read.load([k])) for k in "ab")
    await source.sent.wait()
    first.cancel()
    second.cancel()
    await asyncio.sleep(0.6)
    assert source.statements == [(["a", "b"], [])]
    assert source.finished == 0


async def test_one_caller_cancelled_cancels_no_one_else() -> None:
    source = Source()
    read = coalesced(source)
    gone = asyncio.ensure_future(read.load(["a"]))
    kept = read.load(["b"])
    gone.cancel()
    assert await kept == {"b": "row of b"}
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert source.statements == [(["a", "b"], [])]


async def test_no_keys_send_no_statement() -> None:
    source = Source()
    read = coalesced(source)
    assert list(await asyncio.gather(read.load([]), read.load(()))) == [{}, {}]
    assert source.statements == []


async def test_rows_already_read_are_not_read_again() -> None:
    source = Source()
    read = coalesced(source)
    read.prime({"own": "row read before"})
    first, second = await asyncio.gather(read.load(["own"]), read.load(["b", "own", "c"]))
    # Only the keys not read before are sent; each caller gets its rows in its order.
    assert source.statements == [(["b", "c"], [])]
    assert first == {"own": "row read before"}
    assert list(second.items()) == [
        ("b", "row of b"),
        ("own", "row read before"),
        ("c", "row of c"),
    ]
    assert await read.load(["own"]) == {"own": "row read before"}
    assert len(source.statements) == 1


async def test_a_failed_caller_is_read_again_without_its_rows_already_read() -> None:
    source = Source()
    read = coalesced(source)
    read.prime({"own": "row read before"})
    results = await asyncio.gather(
        read.load(["own", "bad"], 1), read.load(["b"], 2), return_exceptions=True
    )
    assert isinstance(results[0], ValueError)
    assert results[1] == {"b": "row of b"}
    assert source.statements == [(["bad", "b"], [1, 2]), (["bad"], [1]), (["b"], [2])]
