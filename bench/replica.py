"""The data both sides of the PostGraphile comparison serve, on one PostgreSQL server.

1. the hub's nine databases ``bench_<product>`` and ``bench_hub``, seeded by the hub's
   own ``citizen-hub seed`` and ``identity sync`` (through a settings file written here);
2. the consolidated replica ``bench_replica``: each product database's ``public`` schema
   dumped and restored as a schema named after the product, plus ``hub`` (the identity
   crosswalk only), then ``postgraphile/replica_extras.sql`` (clean-key generated columns,
   indexes, smart-tag foreign keys, three SQL functions).

Only those databases are dropped and recreated. The server is the embedded one (the
demo's, under ``.data``) unless ``--pg`` names another.

With ``--existing PREFIX`` the product databases are ``PREFIX<product>``, seeded
earlier by someone else (the 1.9 M-citizen city): they are only read (``pg_dump`` and
the hub's reads), never dropped or written; the bench makes its own hub database
``bench_<PREFIX>hub`` (``identity sync`` over them) and replica ``bench_<PREFIX>replica``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from connectors.base import Source

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
PREFIX = "bench_"
REPLICA = "bench_replica"
BUILT = "bench replica of"  # the finished replica's comment, with the products' prefix
SCHEMAS = (*(s.value for s in Source), "hub")

# The DSN of a database on the bench's server, by name.
DsnOf = Callable[[str], str]


@dataclass(frozen=True)
class Names:
    """The databases one comparison uses: the products (by prefix), the hub's, the replica."""

    products: str = PREFIX
    hub: str = PREFIX + "hub"
    replica: str = REPLICA

    @classmethod
    def existing(cls, prefix: str) -> Names:
        """Products seeded earlier under ``prefix``; hub and replica of the bench's own."""
        return cls(prefix, f"{PREFIX}{prefix}hub", f"{PREFIX}{prefix}replica")

    @property
    def seeded_here(self) -> bool:
        """Whether the bench seeds (and may drop) the product databases itself."""
        return self.products == PREFIX

    def of(self, schema: str) -> str:
        """The database a replica schema comes from (``hub`` or a product)."""
        return self.hub if schema == "hub" else self.products + schema


def dsn_of(url: str, socket_dir: str | None = None) -> DsnOf:
    """DSNs of the databases on the server ``url`` names (its path is replaced by each
    database's name; its query is kept); with ``socket_dir``, through that Unix-socket
    folder instead of the URL's host (the same server, without TCP)."""
    parts = urlsplit(url)
    query = parts.query
    netloc = parts.netloc
    if socket_dir is not None:
        user = netloc.rsplit("@", 1)[0] + "@" if "@" in netloc else ""
        port = f"&port={parts.port}" if parts.port else ""
        netloc = user
        query = f"host={quote(socket_dir)}{port}" + (f"&{query}" if query else "")
    return lambda db: urlunsplit((parts.scheme, netloc, "/" + quote(db), query, ""))


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


def copy(dump: list[str], restore: list[str]) -> None:
    """``dump | restore`` streamed (a city's dump is gigabytes), without the dump's
    ``COMMENT ON SCHEMA public`` (the schema is renamed, and the comment is not ours)."""
    script = 'set -o pipefail; "${@:2:$1}" | grep -v "^COMMENT ON SCHEMA public" | "${@:$1+2}"'
    run(["bash", "-c", script, "copy", str(len(dump)), *dump, *restore])


def pg_tool(name: str, server_major: int = 0) -> str:
    """psql or pg_dump at least as new as the server (pg_dump refuses an older one): the
    one on PATH, else the one the pgserver wheel ships (the embedded server's own)."""
    import pgserver

    bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / name
    for found in (shutil.which(name), str(bundled) if bundled.exists() else None):
        if found and _major(found) >= server_major:
            return found
    sys.exit(f"no {name} of PostgreSQL {server_major} or later on PATH nor in the pgserver wheel")


def _major(tool: str) -> int:
    """The major version a PostgreSQL tool reports (``pg_dump (PostgreSQL) 15.20`` -> 15)."""
    version = re.search(r"\(PostgreSQL\) (\d+)", run([tool, "--version"]))
    return int(version.group(1)) if version else 0


def write_settings(
    conf: Path,
    dsn: DsnOf,
    port: int,
    names: Names = Names(),
    kek_of: Path | None = None,
    connections: int = 4,
) -> None:
    """The hub's settings for the bench: its databases, limits lifted (one client asking
    fast is the benchmark, not a harvester), a key-encryption key of its own (kept from
    an earlier run, or taken from ``kek_of``: the hub's signing keys are sealed under it,
    so hubs sharing a hub database share it)."""
    conf.parent.mkdir(parents=True, exist_ok=True)
    earlier = re.search(r'^key_encryption_key = "([^"]+)"', _text(kek_of or conf), re.M)
    kek = earlier.group(1) if earlier else secrets.token_urlsafe(32)
    lines = [
        "# Written by bench/replica.py: the hub beside the PostGraphile replica.",
        "[server]",
        'host = "127.0.0.1"',
        f"port = {port}",
        f"database_connections = {connections}",
        f'data_dir = "{conf.parent / "hub-data"}"',
        "[sources]",
        *(f'{s.value} = "{dsn(names.of(s.value))}"' for s in Source),
        "[hub]",
        f'dsn = "{dsn(names.hub)}"',
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


async def server_major(dsn: DsnOf) -> int:
    """The server's major version (16 for 16.2)."""
    conn = await asyncpg.connect(dsn("postgres"))
    try:
        return int(await conn.fetchval("SHOW server_version_num")) // 10000
    finally:
        await conn.close()


async def synced(hub_dsn: str) -> bool:
    """Whether a hub database exists and an identity sync has finished in it."""
    try:
        conn = await asyncpg.connect(hub_dsn)
    except asyncpg.InvalidCatalogNameError:
        return False
    try:
        done = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM identity_syncs WHERE finished_at IS NOT NULL)"
        )
    except asyncpg.UndefinedTableError:
        return False
    finally:
        await conn.close()
    return bool(done)


async def ready(dsn: DsnOf, names: Names = Names()) -> bool:
    """Whether the databases of an earlier build are all there."""
    conn = await asyncpg.connect(dsn("postgres"))
    try:
        found = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
    finally:
        await conn.close()
    if not {names.replica, *(names.of(s) for s in SCHEMAS)} <= found:
        return False
    conn = await asyncpg.connect(dsn(names.replica))
    try:
        built: str | None = await conn.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
            " WHERE datname = current_database()"
        )
    finally:
        await conn.close()
    return built == f"{BUILT} {names.products}"


async def build(
    dsn: DsnOf,
    conf: Path,
    port: int,
    citizens: int,
    seed: int,
    names: Names = Names(),
    again: bool = False,
) -> None:
    """Seed the hub's databases (or sync a hub database over existing products: kept
    from an earlier build unless ``again``) and copy them into the replica (see the
    module docstring)."""
    cli = [str(PROJECT / ".venv" / "bin" / "citizen-hub"), "--config", str(conf)]
    sync = names.seeded_here or again or not await synced(dsn(names.hub))
    if names.seeded_here:
        print(f"building the bench data: {citizens} citizens (seed {seed}), then the replica")
        await recreate(dsn, [names.of(s) for s in SCHEMAS])
    elif sync:
        print(f"the products {names.products}*, read only: {names.hub} synced, then the replica")
        await recreate(dsn, [names.hub])
    else:
        print(f"the products {names.products}*, read only: {names.hub} kept, the replica built")
    write_settings(conf, dsn, port, names)  # the CLI below reads it
    if names.seeded_here:
        print(run([*cli, "seed", "--citizens", str(citizens), "--seed", str(seed)], cwd=PROJECT))
    if sync:
        started = time.perf_counter()
        print(run([*cli, "identity", "sync"], cwd=PROJECT))
        print(f"identity sync: {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    await recreate(dsn, [names.replica])
    major = await server_major(dsn)
    psql = [pg_tool("psql", major), "-X", "-q", "-v", "ON_ERROR_STOP=1", dsn(names.replica)]
    dump_cmd = [pg_tool("pg_dump", major), "--no-owner", "--no-privileges", "-n", "public"]
    for schema in SCHEMAS:
        # A whole-schema dump creates `public` itself; a one-table dump needs it made.
        run([*psql, "-c", "DROP SCHEMA IF EXISTS public CASCADE"])
        tables: list[str] = []
        if schema == "hub":
            run([*psql, "-c", "CREATE SCHEMA public"])
            tables = ["-t", "public.identity_links"]  # the crosswalk: matched walk-ins
        copy([*dump_cmd, *tables, dsn(names.of(schema))], psql)
        run([*psql, "-c", f"ALTER SCHEMA public RENAME TO {schema}"])
    run([*psql, "-c", "CREATE SCHEMA public"])
    run([*psql, "-f", str(HERE / "postgraphile" / "replica_extras.sql")])
    run([*psql, "-c", "VACUUM ANALYZE"])
    # Last: a replica left half-built by a failed run is not taken for a finished one.
    run([*psql, "-c", f"COMMENT ON DATABASE {names.replica} IS '{BUILT} {names.products}'"])
    print(f"replica {names.replica}: {time.perf_counter() - started:.0f} s", flush=True)
