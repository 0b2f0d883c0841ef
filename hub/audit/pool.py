"""The pool that writes the disclosure log, as ``citizen_hub_app``: it may read and append.

The migrations (003_audit.sql, 004_audit_append_only.sql) give the role SELECT on
``disclosures`` and EXECUTE on ``disclosures_append``, nothing else: it cannot INSERT a
row of its own making, nor UPDATE or DELETE one.

The pool should log in *as* that role, with its own DSN (``[audit] dsn`` or
``CITIZEN_HUB_AUDIT_DSN``; the embedded server's is derived by :mod:`hub.databases`):
then ``RESET ROLE`` has nothing to return to. Where no such DSN is configured, the
pool falls back to the hub's own login and runs ``SET ROLE citizen_hub_app`` once per
connection (a ``SET ROLE`` survives the ``RESET ALL`` asyncpg sends when a connection
goes back to the pool). That is weaker, since code holding such a connection can
``RESET ROLE`` back to the login's rights, and the pool says so in a warning.
"""

from __future__ import annotations

import logging
from typing import Any, TypeAlias

import asyncpg

from hub.settings import redact

# A string: asyncpg.Pool is generic only in its stubs.
HubPool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"

APP_ROLE = "citizen_hub_app"

log = logging.getLogger(__name__)
_warned = False

_LOGIN_RIGHTS = """
SELECT session_user AS login, r.rolsuper AS superuser,
       to_regclass('disclosures') IS NOT NULL
           AND has_table_privilege('disclosures', 'INSERT, UPDATE, DELETE, TRUNCATE')
           AS writes_directly
FROM pg_roles r WHERE r.rolname = session_user
"""


async def enter_app_role(conn: asyncpg.Connection[Any]) -> None:
    """Pool ``init`` of the fallback: switch this connection to :data:`APP_ROLE`."""
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


async def create_audit_pool(
    dsn: str, *, audit_dsn: str | None = None, min_size: int = 1, max_size: int = 4
) -> HubPool:
    """A pool on the hub database that writes the disclosure log as :data:`APP_ROLE`.

    ``audit_dsn`` is the writer's own login (``settings.audit.dsn``). Without it the pool
    connects with ``dsn`` (the hub's login) and enters the role with ``SET ROLE``,
    warning that a ``RESET ROLE`` would leave it.
    """
    if audit_dsn is None:
        log.warning(
            "no [audit] dsn (CITIZEN_HUB_AUDIT_DSN) is set: the disclosure log is written"
            " through SET ROLE %s on the hub's own login, which RESET ROLE undoes; give"
            " the writer its own login (ALTER ROLE %s LOGIN PASSWORD ...)",
            APP_ROLE,
            APP_ROLE,
        )
        return await asyncpg.create_pool(
            dsn, min_size=min_size, max_size=max_size, init=enter_app_role
        )
    pool = await asyncpg.create_pool(audit_dsn, min_size=min_size, max_size=max_size)
    try:
        async with pool.acquire() as conn:
            rights = await conn.fetchrow(_LOGIN_RIGHTS)
    except BaseException:
        await pool.close()
        raise
    if rights is not None and (rights["superuser"] or rights["writes_directly"]):
        log.warning(
            "the audit DSN %s logs in as %s, which can write disclosures directly%s:"
            " log in as %s instead",
            redact(audit_dsn),
            rights["login"],
            " (a superuser)" if rights["superuser"] else "",
            APP_ROLE,
        )
    return pool
