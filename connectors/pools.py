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

Idle connections are not closed: asyncpg would set a timer at every release and cancel
it at the next acquire, which cost more CPU than a one-citizen statement's own send;
a pool here holds a few connections (below), kept open for the next request.

How many connections: a process's event loop is the bottleneck, not the database
(a read takes a fraction of a millisecond on the server), so a few connections per
database keep every statement of the concurrent requests in flight. With several
worker processes (``serve --workers N``) each serves a share of the requests, so
the connections a database gets (``[server] database_connections``, default
:data:`CONNECTIONS`) are shared among them, at least :data:`MIN_PER_PROCESS` each
(one, if the setting says one): nine databases times four connections times N
processes would otherwise pass a default PostgreSQL's 100 connections at N = 3.
"""

from __future__ import annotations

import os
from typing import Any

import asyncpg

CONNECTIONS = 4  # per database, across the hub's worker processes
MIN_PER_PROCESS = 2
APPLICATION = "citizen-hub"  # application_name, followed by the process id


def per_process(processes: int, connections: int = CONNECTIONS) -> int:
    """The most connections one of ``processes`` workers serving together opens to one
    database, ``connections`` per database being shared between them."""
    return max(min(MIN_PER_PROCESS, connections), connections // max(1, processes))


async def _keep_session(connection: Any) -> None:
    """Nothing to undo: see the module docstring."""


async def read_pool(dsn: str, *, min_size: int = 1, max_size: int = CONNECTIONS) -> asyncpg.Pool:
    """A pool whose connections go back without a reset statement, of at most
    ``max_size`` connections (the hub's: :func:`per_process`), named in the server's
    ``pg_stat_activity`` by this process (``citizen-hub <pid>``)."""
    return await asyncpg.create_pool(
        dsn,
        min_size=min(min_size, max_size),
        max_size=max_size,
        reset=_keep_session,
        max_inactive_connection_lifetime=0,  # see the module docstring
        server_settings={"application_name": f"{APPLICATION} {os.getpid()}"},
    )
