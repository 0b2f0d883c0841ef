"""The change notification the hub may add to the Antrian database (``notify.sql``).

With it, every ticket inserted or whose status or counter changes is announced on
the channel ``antrian_tiket`` with its id, whoever made the change (the hub, the
product's kiosk, its counter screens). Without it, :class:`connectors.antrian.feed.TicketFeed`
polls. Installing and removing it are operator commands
(``citizen-hub antrian install-notify`` / ``uninstall-notify``), never the hub's own doing.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    Connection: TypeAlias = asyncpg.Connection[Any] | PoolConnectionProxy[Any]

CHANNEL = "antrian_tiket"
TRIGGER = "citizen_hub_tiket_notify"

_UNINSTALL = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON tiket;
DROP FUNCTION IF EXISTS {TRIGGER}();
"""
_INSTALLED = f"""
SELECT EXISTS (SELECT FROM pg_trigger
                WHERE tgname = '{TRIGGER}' AND tgrelid = to_regclass('tiket') AND tgenabled <> 'D')
"""


def notify_sql() -> str:
    """The trigger and its function, as ``notify.sql`` beside this module holds them."""
    return resources.files(__package__).joinpath("notify.sql").read_text(encoding="utf-8")


async def install_notify(conn: Connection) -> None:
    """Create (or replace) the trigger and its function, in one transaction."""
    async with conn.transaction():
        await conn.execute(notify_sql())


async def uninstall_notify(conn: Connection) -> None:
    """Drop the trigger and its function, if they are there."""
    async with conn.transaction():
        await conn.execute(_UNINSTALL)


async def notify_installed(conn: Connection) -> bool:
    """Whether the trigger is on ``tiket`` and enabled."""
    installed: bool = await conn.fetchval(_INSTALLED)
    return installed
