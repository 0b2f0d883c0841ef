"""The hub a load test runs against (bench.load): a city of its own, served by
``citizen-hub serve`` as a subprocess, the load's callers, and the disclosure log it
wrote."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path
from typing import Any

import asyncpg

from bench.serving import HubDidNotStart, ServedHub, clean_environment, start_hub
from connectors.base import Source
from connectors.city import City
from connectors.seeding import seed_city
from hub.auth import SCOPES, issue_citizen_token, issue_client_token
from hub.auth.clients import add_client, add_purpose
from hub.embedded import database_names, ensure_databases
from hub.identity.sync import sync_databases
from hub.migrate import migrate
from hub.settings import Settings, load_settings

PURPOSE = "load-test"


async def serve(config: Path, folder: Path) -> tuple[str, ServedHub, Settings]:
    """``citizen-hub serve`` on ``config`` with a key-encryption key of its own; its URL,
    the running hub and its settings once it answers /healthz."""
    try:
        hub = await start_hub(
            clean_environment(), config=config, log=folder / "hub.log", seconds=120
        )
    except HubDidNotStart as exc:
        raise SystemExit(str(exc)) from exc
    return hub.url, hub, load_settings(config, hub.env)


async def logged(
    settings: Settings, since: float, client_id: str, subjects: list[str]
) -> dict[str, int]:
    """Disclosure rows per request id written since ``since`` for the load's callers."""
    assert settings.hub_dsn is not None
    conn = await asyncpg.connect(settings.hub_dsn)
    try:
        rows = await conn.fetch(
            "SELECT request_id, count(*) AS n FROM disclosures WHERE at >= to_timestamp($1)"
            " AND (client_id = $2 OR subject = ANY($3::text[])) GROUP BY request_id",
            since,
            client_id,
            subjects,
        )
    finally:
        await conn.close()
    return {r["request_id"]: r["n"] for r in rows}


def on_server(admin_dsn: str, database: str) -> str:
    base, _, query = admin_dsn.partition("?")
    return base.rsplit("/", 1)[0] + f"/{database}" + (f"?{query}" if query else "")


async def own_city(admin_dsn: str, citizens: int, folder: Path) -> tuple[Path, City]:
    """Scratch databases holding a seeded city, and a settings file serving them."""
    names = database_names(f"chload_{secrets.token_hex(3)}_")
    await ensure_databases(admin_dsn, list(names.values()))
    dsns = {key: on_server(admin_dsn, name) for key, name in names.items()}
    sources = {s: dsns[s] for s in Source}
    print(f"seeding {citizens} citizens into {names['hub'].rsplit('_', 1)[0]}_* ...", flush=True)
    report = await seed_city(sources, citizens, seed=11)
    await sync_databases(sources, dsns["hub"])
    assert report.city is not None
    config = folder / "citizen-hub.toml"
    # The load is one partner and a few dozen citizens asking fast: the per-client
    # limits, which would refuse it, are lifted; tokens outlive the run.
    config.write_text(
        f'[server]\ndata_dir = "{folder / "data"}"\n\n[sources]\n'
        + "".join(f'{s.value} = "{dsns[s]}"\n' for s in Source)
        + f'\n[hub]\ndsn = "{dsns["hub"]}"\n\n[limits]\nrequests_per_minute = 1000000000\n'
        "distinct_niks_per_hour = 1000000000\ncost_per_minute = 1000000000\n\n"
        "[auth]\ntoken_seconds = 86400\ncitizen_token_seconds = 86400\n",
        encoding="utf-8",
    )
    return config, report.city


async def drop_own_databases(admin_dsn: str, config: Path) -> None:
    settings = load_settings(config, {})
    conn = await asyncpg.connect(admin_dsn)
    try:
        for dsn in [*settings.source_dsns.values(), settings.hub_dsn or ""]:
            name = dsn.partition("?")[0].rsplit("/", 1)[-1]
            if name.startswith("chload_"):
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def callers(
    settings: Settings, load_city: City, count: int
) -> tuple[str, dict[str, str], list[dict[str, str]], list[str]]:
    """A partner with every scope under the load's purpose, and ``count`` citizens."""
    assert settings.hub_dsn is not None
    pool = await asyncpg.create_pool(settings.hub_dsn, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
            await add_purpose(conn, PURPOSE, "load testing of the hub itself")
            client, _ = await add_client(
                conn, f"load-{secrets.token_hex(3)}", SCOPES, {PURPOSE: SCOPES}
            )
        token = await issue_client_token(pool, settings.auth, client.client_id, purpose=PURPOSE)
        partner = {"Authorization": f"Bearer {token.access_token}", "X-Purpose": PURPOSE}
        citizens, subjects = [], []
        for person in [p for p in load_city.people if p.age() >= 18][-count:]:
            issued = await issue_citizen_token(pool, settings.auth, person.nik)
            citizens.append({"Authorization": f"Bearer {issued.access_token}"})
            subjects.append(claims(issued.access_token)["sub"])
    finally:
        await pool.close()
    return client.client_id, partner, citizens, subjects


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded
