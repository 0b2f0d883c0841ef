"""A hub-database pool that acts as ``citizen_hub_app``: it may read and append, never rewrite.

The migration (003_audit.sql) creates the role with SELECT and INSERT on
``disclosures`` only and grants it to the login that migrates. Each connection
of this pool runs ``SET ROLE citizen_hub_app`` once, when it is opened (the
pool's ``init``); a ``SET ROLE`` survives the ``RESET ALL`` that asyncpg sends
when a connection goes back to the pool, so it costs no statement per request.
Where the role does not exist or the login may not use it (a server where the
hub may not create roles), the pool keeps the login role and says so once.
"""

from __future__ import annotations

import logging
from typing import Any, TypeAlias

import asyncpg

# A string: asyncpg.Pool is generic only in its stubs.
HubPool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"

APP_ROLE = "citizen_hub_app"

log = logging.getLogger(__name__)
_warned = False


async def enter_app_role(conn: asyncpg.Connection[Any]) -> None:
    """Pool ``init``: switch this connection to :data:`APP_ROLE` when the login may."""
    global _warned
    try:
        await conn.execute(f"SET ROLE {APP_ROLE}")
    except asyncpg.PostgresError as exc:
        if not _warned:
            _warned = True
            log.warning(
                "the disclosure log is written with the login role, not %s (%s, SQLSTATE %s):"
                " it can UPDATE and DELETE there, and only the trigger refuses",
                APP_ROLE,
                type(exc).__name__,
                exc.sqlstate,
            )


async def create_audit_pool(dsn: str, *, min_size: int = 1, max_size: int = 4) -> HubPool:
    """A pool on the hub database whose connections act as :data:`APP_ROLE`."""
    return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=enter_app_role)
