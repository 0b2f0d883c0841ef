"""What ``citizen-hub seed``, ``serve``, ``demo`` and ``db`` do: seed the synthetic city
and report it, serve the hub (the demo first starts the embedded PostgreSQL, seeds it
when empty and prints tokens), and show or stop the embedded PostgreSQL.
:mod:`hub.cli` parses the command line and calls these.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from types import FrameType

import asyncpg

from connectors.base import Source
from connectors.city import build_city
from connectors.seeding import SeedReport, seed_city, seeded_marker
from hub.auth.tokens import signing_keys
from hub.databases import Databases, resolve
from hub.demo import cli_command, data_dir_option, demo_tokens, format_showcase
from hub.embedded import live_holders, postmaster_pid, stop_server
from hub.identity.cli import format_sync
from hub.identity.sync import sync_databases
from hub.migrate import migrate_dsn
from hub.settings import Settings, SettingsError
from hub.workers import check_port, serve


async def seed_command(
    settings: Settings, citizens: int, seed: int, realistic: bool = False
) -> int:
    """``seed``: (re)build the product databases and print the report."""
    databases = await resolve(settings)
    try:
        sources = databases.settings.source_dsns
        report = await seed_city(sources, citizens, seed, realistic=realistic)
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
        planted = sorted((k, n) for (s, k), n in report.planted.items() if s is source)
        if planted:
            lines.append(f"  {'':<8} planted: " + ", ".join(f"{k} {n}" for k, n in planted))
    return "\n".join(lines)


def serve_command(
    settings: Settings,
    seed_if_empty: tuple[int, int] | None,
    workers: int = 1,
    *,
    keep_db: bool = False,
    realistic: bool = False,
) -> int:
    """``serve``, and ``demo`` when ``seed_if_empty`` is (citizens, seed): serve until
    stopped, then stop the embedded PostgreSQL it started (unless ``keep_db``)."""
    # Before anything is started or printed: a busy or impossible port is one line.
    check_port(settings.host, settings.port, workers)
    _exit_on_signals()
    databases: Databases = asyncio.run(resolve(settings, keep_embedded=keep_db))
    try:
        resolved = databases.settings
        asyncio.run(_open_signing_keys(resolved))
        if seed_if_empty is not None:
            citizens, seed = seed_if_empty
            marker = asyncio.run(seeded_marker(resolved.source_dsns[Source.SIAK]))
            if marker is None:
                report = asyncio.run(
                    seed_city(resolved.source_dsns, citizens, seed, realistic=realistic)
                )
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
            f"Citizen Hub serving on http://{url_host(resolved.host)}:{resolved.port}/graphql"
            f"{processes} (GraphiQL in a browser; /healthz, /readyz, /metrics)",
            flush=True,
        )
        if databases.embedded is not None:
            if keep_db:
                print(
                    "Ctrl-C stops the hub; the embedded PostgreSQL keeps running (--keep-db):"
                    f" {cli_command()} db stop{data_dir_option(resolved)}",
                    flush=True,
                )
            else:
                print("Ctrl-C stops the hub and its embedded PostgreSQL.", flush=True)
        serve(resolved, workers)
    finally:
        databases.stop()
    return 0


def url_host(host: str) -> str:
    """``host`` as a URL writes it (an IPv6 address in brackets)."""
    return f"[{host}]" if ":" in host else host


def _exit_on_signals() -> None:
    """SIGTERM and SIGHUP end the command as Ctrl-C does, through its ``finally`` blocks,
    so the embedded PostgreSQL it started is stopped too (aiohttp handles them itself
    while serving)."""

    def leave(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), leave)


def db_command(args: argparse.Namespace, settings: Settings) -> int:
    """``db status`` and ``db stop``: the embedded PostgreSQL in <data_dir>/pg."""
    pgdata = settings.data_dir / "pg"
    pid = postmaster_pid(pgdata)
    if pid is None:
        print(f"no embedded PostgreSQL is running in {pgdata}")
        return 0
    holders = live_holders(pgdata)
    if args.db_command == "status":
        users = f"; used by pid {', '.join(map(str, holders))}" if holders else ""
        print(f"embedded PostgreSQL running in {pgdata} (pid {pid}){users}")
        return 0
    if holders and not args.force:
        print(
            f"citizen-hub: the embedded PostgreSQL in {pgdata} is in use by pid"
            f" {', '.join(map(str, holders))} (a running demo or hub?): stop that first"
            " (Ctrl-C), or add --force",
            file=sys.stderr,
        )
        return 2
    try:
        stop_server(pgdata)
    except (OSError, TimeoutError) as exc:
        print(f"citizen-hub: cannot stop PostgreSQL (pid {pid}): {exc}", file=sys.stderr)
        return 2
    print(f"stopped the embedded PostgreSQL in {pgdata} (pid {pid})")
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


def parse_workers(value: str) -> int:
    """``--workers``: a positive number, or ``auto`` for one per core."""
    if value == "auto":
        return os.cpu_count() or 1
    if not value.isdigit() or int(value) < 1:
        raise SettingsError("--workers", f"must be a positive number or 'auto', got {value!r}")
    return int(value)


def _marker_params(marker: str, citizens: int, seed: int) -> tuple[int, int]:
    fields = dict(p.split("=", 1) for p in marker.split() if "=" in p)
    return int(fields.get("citizens", citizens)), int(fields.get("seed", seed))
