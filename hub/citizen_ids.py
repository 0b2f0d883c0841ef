"""The hub's key for opaque citizen ids (:mod:`identity.opaque`), kept in its database.

Every hub instance reads the same key, so an id shown by one instance opens on
another. Created once, at the first start, beside the key of citizen pseudonyms.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from identity.opaque import KEY_BYTES, CitizenIds

if TYPE_CHECKING:
    from hub.migrate import Connection

KEY_NAME = "citizen-id"


async def load_citizen_ids(conn: Connection) -> CitizenIds:
    """The hub's CitizenIds, making its key first if there is none yet."""
    await conn.execute(
        "INSERT INTO oauth_hub_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        KEY_NAME,
        secrets.token_bytes(KEY_BYTES),
    )
    key: bytes = await conn.fetchval(
        "SELECT value FROM oauth_hub_secrets WHERE name = $1", KEY_NAME
    )
    return CitizenIds(key)
