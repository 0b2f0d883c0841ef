"""``citizen-hub``: seed the synthetic city, serve the hub, or both (``demo``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

import asyncpg

from connectors.base import Source
from connectors.city import City, build_city
from connectors.seeding import SeedRefused, SeedReport, seed_city, seeded_marker
from hub.audit.cli import add_audit_parser, run_audit
from hub.auth.cli import AUTH_COMMANDS, add_auth_parsers, run_auth
from hub.auth.errors import KeyStoreError
from hub.auth.keys import require_key_encryption_key
from hub.auth.tokens import signing_keys
from hub.counter import COUNTER_COMMANDS, add_counter_parsers, run_counter
from hub.databases import Databases, resolve
from hub.demo import demo_tokens
from hub.identity.cli import add_identity_parser, format_sync, run_identity
from hub.identity.sync import sync_databases
from hub.migrate import migrate_dsn
from hub.settings import Settings, SettingsError, load_settings
from hub.workers import serve

DEFAULT_CITIZENS = 10_000
DEFAULT_SEED = 42

log = logging.getLogger("citizen_hub")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # pgserver logs every pg_ctl command line at INFO; only its problems matter here.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    try:
        settings = load_settings(args.config)
        if getattr(args, "data_dir", None):
            settings = replace(settings, data_dir=args.data_dir)
        if getattr(args, "port", None) is not None:
            settings = replace(settings, port=args.port)
        if getattr(args, "host", None):
            settings = replace(settings, host=args.host)
        command: str = args.command
        if command == "seed":
            return asyncio.run(_seed(settings, args.citizens, args.seed))
        if command == "serve":
            # Only the demo may keep the private signing keys in clear.
            require_key_encryption_key(settings.auth)
            return _serve(settings, seed_if_empty=None, workers=_workers(args.workers))
        if command == "demo":
            return _serve(
                settings, seed_if_empty=(args.citizens, args.seed), workers=_workers(args.workers)
            )
        if command == "audit":
            return run_audit(args, settings)
        if command == "identity":
            return run_identity(args, settings)
        if command in AUTH_COMMANDS:
            return run_auth(args, settings)
        if command in COUNTER_COMMANDS:
            return run_counter(args, settings)
    except (SettingsError, SeedRefused, KeyStoreError) as exc:
        print(f"citizen-hub: {exc}", file=sys.stderr)
        return 2
    parser.print_help()
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citizen-hub", description=__doc__)
    parser.add_argument("--config", type=Path, help="TOML settings file (default citizen-hub.toml)")
    commands = parser.add_subparsers(dest="command", required=True)

    seed = commands.add_parser("seed", help="(re)build the eight product databases")
    seed.add_argument("--citizens", type=int, default=DEFAULT_CITIZENS)
    seed.add_argument("--seed", type=int, default=DEFAULT_SEED)
    seed.add_argument("--data-dir", type=Path, help="embedded server folder (default .data)")

    serve = commands.add_parser("serve", help="serve the hub on the configured databases")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--data-dir", type=Path)
    serve.add_argument(
        "--workers",
        default="1",
        help="processes sharing the port: a number, or 'auto' (one per core)",
    )

    demo = commands.add_parser("demo", help="seed when empty, then serve")
    demo.add_argument("--host")
    demo.add_argument("--port", type=int)
    demo.add_argument("--data-dir", type=Path)
    demo.add_argument("--citizens", type=int, default=DEFAULT_CITIZENS)
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED)
    demo.add_argument("--workers", default="1", help="processes sharing the port, or 'auto'")

    add_audit_parser(commands)
    add_identity_parser(commands)
    add_auth_parsers(commands)
    add_counter_parsers(commands)
    return parser


async def _seed(settings: Settings, citizens: int, seed: int) -> int:
    databases = await resolve(settings)
    try:
        report = await seed_city(databases.settings.source_dsns, citizens, seed)
    finally:
        databases.stop()
    print(format_report(report))
    return 0


def format_report(report: SeedReport) -> str:
    """The seed report: rows per table, deliberate mess, time and size per source."""
    lines = [
        f"seeded {report.citizens} citizens (seed {report.seed}):"
        f" generated in {report.generate_seconds:.1f}s, loaded in {report.load_seconds:.1f}s",
    ]
    for source, r in report.sources.items():
        rows = ", ".join(f"{t} {n}" for t, n in r.rows.items())
        lines.append(f"  {source.name:<8} {r.bytes / 2**20:8.1f} MiB  {r.seconds:6.1f}s  {rows}")
        if r.messy:
            mess = ", ".join(f"{k} {n}" for k, n in r.messy.items())
            lines.append(f"  {'':<8} mess: {mess}")
    return "\n".join(lines)


def _serve(settings: Settings, seed_if_empty: tuple[int, int] | None, workers: int = 1) -> int:
    databases: Databases = asyncio.run(resolve(settings, keep_embedded=True))
    try:
        resolved = databases.settings
        asyncio.run(_open_signing_keys(resolved))
        if seed_if_empty is not None:
            citizens, seed = seed_if_empty
            marker = asyncio.run(seeded_marker(resolved.source_dsns[Source.SIAK]))
            if marker is None:
                report = asyncio.run(seed_city(resolved.source_dsns, citizens, seed))
                print(format_report(report))
                # A new city: link its identifiers now, so the graph shows them at once.
                assert resolved.hub_dsn is not None
                linked = asyncio.run(sync_databases(resolved.source_dsns, resolved.hub_dsn))
                print(format_sync(linked))
            else:
                print(f"reusing the seeded city ({marker.split(': ', 1)[-1]})")
                citizens, seed = _marker_params(marker, citizens, seed)
            showcase = build_city(50, seed)
            print(format_showcase(showcase))
            print(asyncio.run(demo_tokens(resolved, showcase)))
        processes = f" with {workers} workers" if workers > 1 else ""
        print(
            f"Citizen Hub serving on http://{resolved.host}:{resolved.port}/{processes}"
            " (health: /healthz)",
            flush=True,
        )
        serve(resolved, workers)
    finally:
        databases.stop()
    return 0


async def _open_signing_keys(settings: Settings) -> None:
    """Migrate, seal keys stored in clear (with a key-encryption key) and unseal the
    active key now: a wrong key-encryption key stops here, in one line."""
    assert settings.hub_dsn is not None
    await migrate_dsn(settings.hub_dsn)
    conn = await asyncpg.connect(settings.hub_dsn)
    try:
        keys = signing_keys(settings.auth)
        await keys.ensure(conn)
        await keys.active(conn)
    finally:
        await conn.close()


def _workers(value: str) -> int:
    if value == "auto":
        return os.cpu_count() or 1
    if not value.isdigit() or int(value) < 1:
        raise SettingsError("--workers", f"must be a positive number or 'auto', got {value!r}")
    return int(value)


def _marker_params(marker: str, citizens: int, seed: int) -> tuple[int, int]:
    fields = dict(p.split("=", 1) for p in marker.split() if "=" in p)
    return int(fields.get("citizens", citizens)), int(fields.get("seed", seed))


def format_showcase(city: City) -> str:
    """The families to try first: their members together have rows in all eight products."""
    lines = ["Try these families (together they have rows in all eight products):"]
    for family in city.showcase:
        lines.append(f"  family card {family.kk}")
        for m in family.members:
            lines.append(f"    {m.relationship:<16} NIK {m.nik}")
    return "\n".join(lines)
