"""What ``citizen-hub demo`` prints so a visitor can try the hub at once.

The showcase families (their members together have rows in all eight products),
with each member's relationship as the API names it; a query to paste into
GraphiQL; and ready tokens. A demo partner (every scope, under the registered
purpose ``demo-explore``) is registered once in the hub database and reused; each
start prints a fresh partner token and a citizen token for the first showcase
family's head, each with when it expires and the command that makes a new one.
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import datetime
from pathlib import Path

import asyncpg

from connectors.city import City
from connectors.siak.records import FamilyRelationship
from hub.auth import SCOPES, issue_citizen_token, issue_client_token
from hub.auth.clients import Client, add_client, add_purpose, list_clients
from hub.auth.tokens import IssuedToken, signing_keys
from hub.migrate import migrate
from hub.settings import Settings

DEMO_CLIENT = "demo-partner"
DEMO_PURPOSE = "demo-explore"


def cli_command() -> str:
    """How to run ``citizen-hub`` from here, as a reader should type it: ``citizen-hub``
    when that is on PATH (an activated venv), else the venv's script relative to the
    working folder (``.venv/bin/citizen-hub``), else ``python -m hub``."""
    script = Path(sys.prefix) / "bin" / "citizen-hub"
    on_path = shutil.which("citizen-hub")
    if on_path is not None and Path(on_path).resolve() == script.resolve():
        return "citizen-hub"
    if script.exists():
        try:
            return str(script.absolute().relative_to(Path.cwd()))
        except ValueError:
            return str(script)
    return f"{Path(sys.executable).name} -m hub"


def data_dir_option(settings: Settings) -> str:
    """`` --data-dir D`` for commands printed for another data folder than the default."""
    return "" if settings.data_dir == Path(".data") else f" --data-dir {settings.data_dir}"


def relationship_name(hubungan: str) -> str:
    """SIAK's ``status_hubungan`` (KEPALA KELUARGA) as the API's FamilyRelationship (HEAD)."""
    try:
        return FamilyRelationship(hubungan).name
    except ValueError:
        return hubungan


def format_showcase(city: City) -> str:
    """The families to try first: their members together have rows in all eight products."""
    lines = ["Try these families (together they have rows in all eight products):"]
    for family in city.showcase:
        lines.append(f"  family card (KK) {family.kk}")
        for m in family.members:
            lines.append(f"    {relationship_name(m.relationship):<8} NIK {m.nik}  {m.name}")
    return "\n".join(lines)


def graphiql_query(city: City) -> str:
    """A query for the first showcase family, on one line, to paste into GraphiQL."""
    kk = city.showcase[0].kk
    return (
        f'{{ family(familyCardNumber: "{kk}") {{ members {{ relationship'
        " citizen { nik fullName schoolAdmissions { level status }"
        " employment { nip rank } queueTickets { number status } } } } }"
    )


def expiry(token: IssuedToken) -> str:
    """When ``token`` expires, for a person: 'expires in 15 min, at 10:42'."""
    exp = token.claims.get("exp")
    at = datetime.fromtimestamp(exp).strftime("%H:%M") if isinstance(exp, int) else "?"
    minutes = token.expires_in // 60
    span = f"{minutes // 60} h" if minutes % 60 == 0 and minutes >= 60 else f"{minutes} min"
    return f"expires in {span}, at {at}"


def key_storage_note(settings: Settings) -> str | None:
    """The demo's warning that the signing keys are stored unencrypted, if they are."""
    if settings.auth.key_encryption_key is not None:
        return None
    return (
        "Note: the hub's private signing keys are stored UNENCRYPTED in the demo database:"
        " no key-encryption key is set (auth.key_encryption_key or"
        " CITIZEN_HUB_KEY_ENCRYPTION_KEY). Fine for this demo; citizen-hub serve refuses"
        " to start without one (docs/operations.md)."
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


async def demo_tokens(settings: Settings, city: City, command: str | None = None) -> str:
    """Register the demo partner if needed; return the text that shows both tokens, when
    they expire and how to get new ones (``command`` runs citizen-hub; default
    :func:`cli_command`)."""
    cli = command or cli_command()
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
    where = data_dir_option(settings)
    renew_partner = f"{cli} token --client {partner.client_id} --purpose {DEMO_PURPOSE}{where}"
    renew_citizen = f"{cli} token --citizen {head.nik}{where}"
    return "\n".join(
        ([note] if note else [])
        + [
            "Paste one of these into GraphiQL's Headers tab:",
            f"  partner {partner.client_id} (every scope, purpose {DEMO_PURPOSE}),"
            f" {expiry(partner_token)}:",
            f"    {json.dumps(partner_headers)}",
            f"  citizen {head.name} (their own data, their family card, their children's"
            f" admissions), {expiry(citizen_token)}:",
            f"    {json.dumps(citizen_headers)}",
            "  An expired token answers 401 'the token expired at ...'; a new one (the demo"
            " keeps serving):",
            f"    {renew_partner}",
            f"    {renew_citizen}",
            "  (lifetimes: [auth] token_seconds, citizen_token_seconds in citizen-hub.toml)",
            "Then run this in GraphiQL with the partner token (the first family):",
            f"  {graphiql_query(city)}",
            "Act as the citizen (docs/services.md): with the citizen token, read"
            " { me { family { members { id relationship } } } }, book a ticket for a child"
            " (bookQueueTicket, forCitizen: the child's id), subscribe to it"
            " (subscription { queueTicket(ticketId: ...) { status counter } }), and play"
            " the counter staff in another terminal:",
            f"    {cli} counter list --service MPP01-A --date YYYY-MM-DD{where}",
            f"    {cli} counter next --loket MPP01-L01 --date YYYY-MM-DD{where}",
            f"    {cli} counter serve TICKET_ID{where}",
        ]
    )
