"""The data both sides of the PostGraphile comparison serve, on one PostgreSQL server.

1. the hub's nine databases ``bench_<product>`` and ``bench_hub``, seeded by the hub's
   own ``citizen-hub seed`` and ``identity sync`` (through a settings file written here);
2. the consolidated replica ``bench_replica``: each product database's ``public`` schema
   dumped and restored as a schema named after the product, plus ``hub`` (the identity
   crosswalk only), then ``postgraphile/replica_extras.sql`` (clean-key generated columns,
   indexes, smart-tag foreign keys, three SQL functions).

Only those databases are dropped and recreated. The server is the embedded one (the
demo's, under ``.data``) unless ``--pg`` names another.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import asyncpg

from connectors.base import Source

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
PREFIX = "bench_"
REPLICA = "bench_replica"
SCHEMAS = (*(s.value for s in Source), "hub")

# The DSN of a database on the bench's server, by name.
DsnOf = Callable[[str], str]


def clean_env() -> dict[str, str]:
    """The environment without CITIZEN_HUB_*: the bench's settings file decides."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_HUB_")}


def run(cmd: list[str], *, cwd: Path | None = None, input: str | None = None) -> str:
    done = subprocess.run(  # noqa: S603 - the project's own CLI and PostgreSQL's tools
        cmd, check=False, capture_output=True, text=True, env=clean_env(), cwd=cwd, input=input
    )
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stdout}{done.stderr}")
    return done.stdout


def pg_tool(name: str) -> str:
    """psql or pg_dump: the one on PATH, else the one the pgserver wheel ships."""
    found = shutil.which(name)
    if found:
        return found
    import pgserver

    bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / name
    if not bundled.exists():
        sys.exit(f"{name} not found on PATH nor in the pgserver wheel")
    return str(bundled)


def write_settings(conf: Path, dsn: DsnOf, port: int) -> None:
    """The hub's settings for the bench: its databases, limits lifted (one client asking
    fast is the benchmark, not a harvester), a key-encryption key of its own (kept from
    an earlier run: the hub's signing keys are sealed under it)."""
    conf.parent.mkdir(parents=True, exist_ok=True)
    earlier = re.search(r'^key_encryption_key = "([^"]+)"', _text(conf), re.M)
    kek = earlier.group(1) if earlier else secrets.token_urlsafe(32)
    lines = [
        "# Written by bench/replica.py: the hub beside the PostGraphile replica.",
        "[server]",
        'host = "127.0.0.1"',
        f"port = {port}",
        f'data_dir = "{conf.parent / "hub-data"}"',
        "[sources]",
        *(f'{s.value} = "{dsn(PREFIX + s.value)}"' for s in Source),
        "[hub]",
        f'dsn = "{dsn(PREFIX + "hub")}"',
        "[limits]",
        "requests_per_minute = 1000000000",
        "distinct_niks_per_hour = 1000000000",
        "cost_per_minute = 1000000000",
        "[auth]",
        "token_seconds = 7200",
        f'key_encryption_key = "{kek}"',
    ]
    conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
    conf.chmod(0o600)


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


async def recreate(dsn: DsnOf, names: list[str]) -> None:
    conn = await asyncpg.connect(dsn("postgres"))
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def ready(dsn: DsnOf) -> bool:
    """Whether the databases of an earlier build are all there."""
    conn = await asyncpg.connect(dsn("postgres"))
    try:
        names = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
    finally:
        await conn.close()
    return {REPLICA, *(PREFIX + s for s in SCHEMAS)} <= names


async def build(dsn: DsnOf, conf: Path, port: int, citizens: int, seed: int) -> None:
    """Seed the hub's databases and copy them into the replica (see the module docstring)."""
    print(f"building the bench data: {citizens} citizens (seed {seed}), then the replica")
    await recreate(dsn, [PREFIX + s for s in SCHEMAS])
    write_settings(conf, dsn, port)
    cli = [str(PROJECT / ".venv" / "bin" / "citizen-hub"), "--config", str(conf)]
    print(run([*cli, "seed", "--citizens", str(citizens), "--seed", str(seed)], cwd=PROJECT))
    print(run([*cli, "identity", "sync"], cwd=PROJECT))
    await recreate(dsn, [REPLICA])
    psql = [pg_tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", dsn(REPLICA)]
    for schema in SCHEMAS:
        # A whole-schema dump creates `public` itself; a one-table dump needs it made.
        run([*psql, "-c", "DROP SCHEMA IF EXISTS public CASCADE"])
        tables: list[str] = []
        if schema == "hub":
            run([*psql, "-c", "CREATE SCHEMA public"])
            tables = ["-t", "public.identity_links"]  # the crosswalk: matched walk-ins
        dump_cmd = [pg_tool("pg_dump"), "--no-owner", "--no-privileges", "-n", "public"]
        dump = run([*dump_cmd, *tables, dsn(PREFIX + schema)])
        kept = "\n".join(
            line for line in dump.splitlines() if not line.startswith("COMMENT ON SCHEMA public")
        )
        run(psql, input=kept)
        run([*psql, "-c", f"ALTER SCHEMA public RENAME TO {schema}"])
    run([*psql, "-c", "CREATE SCHEMA public"])
    run([*psql, "-f", str(HERE / "postgraphile" / "replica_extras.sql")])
    run([*psql, "-c", "VACUUM ANALYZE"])
