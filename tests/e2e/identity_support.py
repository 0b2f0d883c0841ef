"""What the identity tests share: a look at a database beside the hub's own reads."""

from __future__ import annotations

import asyncpg


async def fetch(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    """The rows of one statement, on a connection of its own."""
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()
