"""The connection pools the graph reads through: one per product database and the hub's.

asyncpg resets a connection every time it returns to a pool: a whole statement
(``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``) and its round trip
after every read, which at one statement per source per request doubled the
round trips of a request. Nothing read through these pools leaves session state
behind: reads are single statements, writes hold transaction-scoped advisory locks
only (``pg_advisory_xact_lock``), nobody LISTENs or SETs on them (the ticket feed
and the disclosure log have connections of their own). So the reset is skipped;
asyncpg still rolls back a transaction left open and drops listeners before it
calls :func:`_keep_session`.
"""

from __future__ import annotations

from typing import Any

import asyncpg


async def _keep_session(connection: Any) -> None:
    """Nothing to undo: see the module docstring."""


async def read_pool(dsn: str, *, min_size: int = 1, max_size: int = 4) -> asyncpg.Pool:
    """A pool whose connections go back without a reset statement."""
    return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, reset=_keep_session)
