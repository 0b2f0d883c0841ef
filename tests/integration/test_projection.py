"""Reads that leave out the nested parts an operation does not select, and the pools'
connections that go back without a reset statement."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from connectors.apk.reads import referenced_niks as apk_niks
from connectors.apk.reads import requests_by_nik
from connectors.base import Source, SourceDB
from connectors.lpse.reads import referenced_niks as lpse_niks
from connectors.lpse.reads import roles_by_nik
from connectors.pools import read_pool
from connectors.psb.reads import admissions_by_nik
from connectors.psb.reads import referenced_niks as psb_niks
from connectors.sikda.reads import civil_servants_by_nik
from connectors.sikda.reads import referenced_niks as sikda_niks


def _without(found: dict[str, Any], **emptied: Any) -> dict[str, Any]:
    """``found`` with the nested parts named emptied, in every record."""

    def strip(record: Any) -> Any:
        return replace(record, **emptied)

    return {
        key: [strip(r) for r in value] if isinstance(value, list) else strip(value)
        for key, value in found.items()
    }


def _records(found: dict[str, Any]) -> list[Any]:
    return [r for value in found.values() for r in (value if isinstance(value, list) else [value])]


# A product's read, the option that leaves its nested parts out, and what they become.
LIGHTER_READS = [
    pytest.param(
        Source.SIKDA,
        sikda_niks,
        civil_servants_by_nik,
        "histories",
        {"rank_history": (), "position_history": ()},
        id="servants without histories",
    ),
    pytest.param(
        Source.PSB,
        psb_niks,
        admissions_by_nik,
        "choices",
        {"choices": (), "accepted_school": None},
        id="admissions without choices",
    ),
    pytest.param(
        Source.APK,
        apk_niks,
        requests_by_nik,
        "history",
        {"history": ()},
        id="requests without history",
    ),
    pytest.param(
        Source.LPSE, lpse_niks, roles_by_nik, "tenders", {"tenders": ()}, id="roles without tenders"
    ),
]


@pytest.mark.parametrize(("source", "referenced", "read", "option", "emptied"), LIGHTER_READS)
async def test_a_read_without_its_nested_parts_gives_the_same_records(
    source_dbs: dict[Source, SourceDB],
    source: Source,
    referenced: Callable[[SourceDB], Awaitable[list[str]]],
    read: Callable[..., Awaitable[dict[str, Any]]],
    option: str,
    emptied: dict[str, Any],
) -> None:
    db = source_dbs[source]
    niks = await referenced(db)
    full = await read(db, niks)
    light = await read(db, niks, **{option: False})
    # The test city has records with every one of those parts, or this proves nothing.
    assert any(all(getattr(r, part) for part in emptied) for r in _records(full))
    assert light == _without(full, **emptied)


@pytest.fixture
async def one_connection(city_dsns: dict[Source | str, str]) -> Any:
    pool = await read_pool(city_dsns[Source.SIAK], min_size=1, max_size=1)
    try:
        yield pool
    finally:
        await pool.close()


async def test_a_connection_goes_back_without_a_reset_statement(one_connection: Any) -> None:
    """A session setting survives the return to the pool: no RESET ALL was sent."""
    async with one_connection.acquire() as conn:
        await conn.execute("SET application_name = 'kept-by-the-pool'")
    async with one_connection.acquire() as conn:
        assert await conn.fetchval("SHOW application_name") == "kept-by-the-pool"


async def test_a_transaction_left_open_is_still_rolled_back(one_connection: Any) -> None:
    async with one_connection.acquire() as conn:
        await conn.execute("BEGIN")
        await conn.execute("CREATE TEMP TABLE left_open (x int)")
    async with one_connection.acquire() as conn:
        assert await conn.fetchval("SELECT to_regclass('pg_temp.left_open')") is None
        assert not conn.is_in_transaction()
