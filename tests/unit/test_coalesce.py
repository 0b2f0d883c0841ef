"""Reads asked in the same turn share one statement; each caller gets its own rows only."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from schema.coalesce import Coalesced


class Source:
    """Answers every key with a row naming it; records each statement it receives."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.statements: list[tuple[list[str], list[Any]]] = []
        self.fail = fail

    async def send(self, keys: list[str], needs: list[Any]) -> dict[str, str]:
        self.statements.append((keys, needs))
        await asyncio.sleep(0)
        if self.fail is not None:
            raise self.fail
        return {k: f"row of {k}" for k in keys if k != "unknown"}


async def test_callers_of_one_turn_share_one_statement_and_see_their_own_keys_only() -> None:
    source = Source()
    read = Coalesced(source.send)
    first, second, third = await asyncio.gather(
        read.load(["a", "b"], 1), read.load(["b", "c", "unknown"], 2), read.load(["a"])
    )
    assert source.statements == [(["a", "b", "c", "unknown"], [1, 2])]
    assert first == {"a": "row of a", "b": "row of b"}
    assert second == {"b": "row of b", "c": "row of c"}
    assert third == {"a": "row of a"}


async def test_a_caller_of_a_later_turn_gets_a_statement_of_its_own() -> None:
    source = Source()
    read = Coalesced(source.send)
    assert await read.load(["a"]) == {"a": "row of a"}
    assert await read.load(["b"]) == {"b": "row of b"}
    assert [keys for keys, _ in source.statements] == [["a"], ["b"]]


async def test_every_caller_gets_the_error_of_the_statement() -> None:
    read = Coalesced(Source(fail=ConnectionError("down")).send)
    results = await asyncio.gather(read.load(["a"]), read.load(["b"]), return_exceptions=True)
    assert [type(r) for r in results] == [ConnectionError, ConnectionError]


async def test_one_caller_cancelled_cancels_no_one_else() -> None:
    source = Source()
    read = Coalesced(source.send)
    gone = asyncio.ensure_future(read.load(["a"]))
    kept = read.load(["b"])
    gone.cancel()
    assert await kept == {"b": "row of b"}
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert source.statements == [(["a", "b"], [])]


async def test_no_keys_send_no_statement() -> None:
    source = Source()
    read = Coalesced(source.send)
    assert await asyncio.gather(read.load([]), read.load(())) == [{}, {}]
    assert source.statements == []
