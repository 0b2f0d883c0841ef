"""What ``citizen-hub demo`` prints so a visitor can try the hub at once: ready tokens.

A demo partner (every scope, under the registered purpose ``demo-explore``) is
registered once in the hub database and reused; each start prints a fresh
partner token and a citizen token for the first showcase family's head.
"""

from __future__ import annotations

import json

import asyncpg

from connectors.city import City
from hub.auth import SCOPES, issue_citizen_token, issue_client_token
from hub.auth.clients import Client, add_client, add_purpose, list_clients
from hub.auth.tokens import signing_keys
from hub.migrate import migrate
from hub.settings import Settings

DEMO_CLIENT = "demo-partner"
DEMO_PURPOSE = "demo-explore"


def key_storage_note(settings: Settings) -> str | None:
    """The demo's warning that the signing keys are stored unencrypted, if they are."""
    if settings.auth.key_encryption_key is not None:
        return None
    return (
        "Note: the hub's private signing keys are stored UNENCRYPTED in the demo database:"
        " no key-encryption key is set (auth.key_encryption_key or"
        " CITIZEN_HUB_KEY_ENCRYPTION_KEY). Fine for this demo; citizen-hub serve refuses"
        " to start without one."
    )


async def demo_partner(pool: asyncpg.Pool, settings: Settings) -> Client:
    """The demo partner client, registered (with its purpose and the signing keys) if needed."""
    async with pool.acquire() as conn:
        await migrate(conn)
        await signing_keys(settings.auth).ensure(conn)
        partner = next(
            (c for c in await list_clients(conn) if c.name == DEMO_CLIENT and not c.revoked),
            None,
        )
        if partner is None:
            await add_purpose(conn, DEMO_PURPOSE, "trying the hub on the synthetic city")
            partner, _secret = await add_client(conn, DEMO_CLIENT, SCOPES, {DEMO_PURPOSE: SCOPES})
    return partner


async def demo_partner_headers(settings: Settings) -> tuple[str, dict[str, str]]:
    """The demo partner's client id and the headers of a request with a fresh token."""
    assert settings.hub_dsn is not None
    pool = await asyncpg.create_pool(settings.hub_dsn, min_size=1, max_size=2)
    try:
        partner = await demo_partner(pool, settings)
        token = await issue_client_token(
            pool, settings.auth, partner.client_id, purpose=DEMO_PURPOSE
        )
    finally:
        await pool.close()
    return partner.client_id, {"Authorization": f"Bearer {token.access_token}"}


async def demo_tokens(settings: Settings, city: City) -> str:
    """Register the demo partner if needed; return the text that shows both tokens."""
    assert settings.hub_dsn is not None
    pool = await asyncpg.create_pool(settings.hub_dsn, min_size=1, max_size=2)
    try:
        partner = await demo_partner(pool, settings)
        partner_token = await issue_client_token(
            pool, settings.auth, partner.client_id, purpose=DEMO_PURPOSE
        )
        head = city.showcase[0].head
        citizen_token = await issue_citizen_token(pool, settings.auth, head.nik)
    finally:
        await pool.close()
    partner_headers = {"Authorization": f"Bearer {partner_token.access_token}"}
    citizen_headers = {"Authorization": f"Bearer {citizen_token.access_token}"}
    note = key_storage_note(settings)
    return "\n".join(
        ([note] if note else [])
        + [
            "Paste one of these into GraphiQL's Headers tab:",
            f"  partner {partner.client_id} (every scope, purpose {DEMO_PURPOSE}):",
            f"    {json.dumps(partner_headers)}",
            f"  citizen {head.name} (their own data and their children's admissions):",
            f"    {json.dumps(citizen_headers)}",
            "  Fresh ones: citizen-hub token --client "
            f"{partner.client_id} --purpose {DEMO_PURPOSE}  |  citizen-hub token --citizen NIK",
        ]
    )
