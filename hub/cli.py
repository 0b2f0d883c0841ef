"""citizen-hub: seed the synthetic city, serve the hub, or both (demo); and the operator's
commands (clients, purposes, keys, tokens, the identity crosswalk, the disclosure log,
the embedded PostgreSQL, the schema file)."""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import logging
import os
import signal
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import FrameType

import asyncpg

from connectors.base import DATABASE_ERRORS, Source, SourceDB
from connectors.city import build_city
from connectors.seeding import SeedRefused, SeedReport, seed_city, seeded_marker
from hub.audit.cli import add_audit_parser, run_audit
from hub.auth.cli import AUTH_COMMANDS, add_auth_parsers, run_auth
from hub.auth.errors import KeyStoreError
from hub.auth.keys import require_key_encryption_key
from hub.auth.tokens import signing_keys
from hub.counter import COUNTER_COMMANDS, add_counter_parsers, run_counter
from hub.databases import Databases, resolve
from hub.demo import cli_command, data_dir_option, demo_tokens, format_showcase
from hub.embedded import live_holders, postmaster_pid, stop_server
from hub.identity.cli import add_identity_parser, format_sync, run_identity
from hub.identity.sync import sync_databases
from hub.migrate import migrate_dsn
from hub.oauth import demo_settings, refuse_development_sign_in
from hub.schema_file import SCHEMA_COMMANDS, add_schema_parsers, run_schema
from hub.settings import Settings, SettingsError, load_settings
from hub.workers import PortUnavailable, check_port, serve
from identity.nik import NIK, InvalidNIK

__all__ = ["format_report", "format_showcase", "main"]

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
            refuse_development_sign_in(settings)
            return _serve(settings, seed_if_empty=None, workers=_workers(args.workers))
        if command == "demo":
            return _serve(
                demo_settings(settings),
                seed_if_empty=(args.citizens, args.seed),
                workers=_workers(args.workers),
                keep_db=args.keep_db,
            )
        if command == "audit":
            return run_audit(args, settings)
        if command == "identity":
            return run_identity(args, settings)
        if command in AUTH_COMMANDS:
            return _auth(args, settings)
        if command in COUNTER_COMMANDS:
            return run_counter(args, settings)
        if command in SCHEMA_COMMANDS:
            return run_schema(args)
        if command == "db":
            return _db(args, settings)
    except (SettingsError, SeedRefused, KeyStoreError, PortUnavailable) as exc:
        print(f"citizen-hub: {exc}", file=sys.stderr)
        return 2
    parser.print_help()
    return 2


EPILOG = """\
From a checkout, the command is .venv/bin/citizen-hub (or run: source .venv/bin/activate,
then citizen-hub). Settings: citizen-hub.toml or CITIZEN_HUB_* variables (README.md,
docs/operations.md). Each command has its own --help, e.g. citizen-hub demo --help."""

DATA_DIR_HELP = "embedded PostgreSQL folder (default [server] data_dir, .data)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citizen-hub",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="TOML settings file (default: $CITIZEN_HUB_CONFIG, else ./citizen-hub.toml if any)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    seed = commands.add_parser("seed", help="(re)build the eight product databases")
    _city_options(seed)
    seed.add_argument("--data-dir", type=Path, help=DATA_DIR_HELP)

    serve = commands.add_parser(
        "serve", help="serve the hub on the configured databases (needs a key-encryption key)"
    )
    _server_options(serve)
    serve.add_argument(
        "--workers",
        default="1",
        help="processes sharing the port: a number, or 'auto' (one per core) (default 1)",
    )

    demo = commands.add_parser(
        "demo",
        help="start the embedded PostgreSQL, seed when empty, print tokens, serve",
        description="Start the embedded PostgreSQL in <data-dir>/pg, seed the synthetic city"
        " when it is empty, print the showcase families and ready tokens, then serve until"
        " Ctrl-C; PostgreSQL stops with the demo unless --keep-db.",
    )
    _server_options(demo)
    _city_options(demo)
    demo.add_argument(
        "--workers", default="1", help="processes sharing the port, or 'auto' (default 1)"
    )
    demo.add_argument(
        "--keep-db",
        action="store_true",
        help="leave the embedded PostgreSQL running when the demo stops, for a faster"
        " next start (default: stop it with the demo); stop it later with: db stop",
    )

    add_audit_parser(commands)
    add_identity_parser(commands)
    add_auth_parsers(commands)
    add_counter_parsers(commands)
    add_schema_parsers(commands)

    db = commands.add_parser("db", help="the embedded PostgreSQL: status, or stop one left running")
    db_actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    status = db_actions.add_parser("status", help="whether it runs, and which processes use it")
    stop = db_actions.add_parser("stop", help="stop it (refused while a hub still uses it)")
    stop.add_argument(
        "--force",
        action="store_true",
        help="stop it even while a hub or command uses it (default: refuse)",
    )
    for action in (status, stop):
        action.add_argument("--data-dir", type=Path, help=DATA_DIR_HELP)
    _complete_help(parser)
    return parser


def _server_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--host", help="address to listen on (default [server] host, 127.0.0.1)")
    command.add_argument(
        "--port",
        type=int,
        help="port to listen on, 1-65535 (default [server] port or CITIZEN_HUB_PORT, 8080)",
    )
    command.add_argument("--data-dir", type=Path, help=DATA_DIR_HELP)


def _city_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--citizens",
        type=int,
        default=DEFAULT_CITIZENS,
        help=f"how many citizens the synthetic city has (default {DEFAULT_CITIZENS:,})",
    )
    command.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"random seed: the same seed builds the same city (default {DEFAULT_SEED})",
    )


# Help for arguments other modules register without any, by (command path, dest).
_MISSING_HELP: dict[tuple[str, str], str] = {
    ("clients revoke", "client_id"): "the client's id (ch_...), as clients list shows it",
    ("purposes add", "code"): "the purpose's code: lower-case letters, digits, '.', '-', '_'",
    ("purposes add", "description"): "what the data is processed for, in a line",
    (
        "keys rotate",
        "alg",
    ): "signature algorithm of the new key (default [auth] signing_alg, ES256)",
    ("keys retire", "kid"): "the key's id, as keys list shows it",
}
# Defaults to state where a module's help does not, by (command path, dest).
_DEFAULTS: dict[tuple[str, str], str] = {
    ("clients add", "purpose"): "none: its tokens then carry no purpose",
    ("token", "purpose"): "none: send X-Purpose with each request",
}
# A line for subcommands other modules register without one, by command path.
_MISSING_LINES: dict[str, str] = {
    "purposes list": "every registered purpose and its description",
    "keys list": "every signing key: active, published or retired",
}


def _complete_help(parser: argparse.ArgumentParser, path: str = "") -> None:
    """Give every subcommand a line and every option its help and default, including
    those other modules register (``citizen-hub X --help`` must explain each)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            lines = {choice.dest: choice for choice in action._choices_actions}
            for name, sub in action.choices.items():
                where = f"{path} {name}".strip()
                if name not in lines and where in _MISSING_LINES:
                    lines[name] = action._ChoicesPseudoAction(name, (), _MISSING_LINES[where])
                line = lines.get(name)
                if sub.description is None and line is not None:
                    sub.description = line.help
                _complete_help(sub, where)
            action._choices_actions = [lines[n] for n in action.choices if n in lines]
            if action.metavar is None:
                action.metavar = "ACTION"
            continue
        if isinstance(action, argparse._HelpAction):
            continue
        if action.help is None:
            action.help = _MISSING_HELP.get((path, action.dest))
        stated = _DEFAULTS.get((path, action.dest))
        if stated is None and isinstance(action, argparse._StoreTrueAction):
            stated = "off"
        if stated is None and isinstance(action, argparse._AppendAction) and not action.default:
            stated = "none"
        if stated is not None and action.help is not None and "default" not in action.help:
            action.help += f" (default {stated})"


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


def _serve(
    settings: Settings,
    seed_if_empty: tuple[int, int] | None,
    workers: int = 1,
    *,
    keep_db: bool = False,
) -> int:
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
            f"Citizen Hub serving on http://{_url_host(resolved.host)}:{resolved.port}/graphql"
            f"{processes} (GraphiQL in a browser; health: /healthz)",
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


def _url_host(host: str) -> str:
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


def _auth(args: argparse.Namespace, settings: Settings) -> int:
    """The auth commands, with what they leave out: ``token --citizen`` refuses a NIK the
    register does not know; ``token`` says when its token expires; ``clients add`` prints
    the commands to run next."""
    databases: Databases | None = None
    try:
        if args.command == "token" and args.citizen is not None:
            databases = asyncio.run(resolve(settings))
            settings = databases.settings
            problem = asyncio.run(_unknown_citizen(settings, args.citizen))
            if problem is not None:
                print(f"citizen-hub: {problem}", file=sys.stderr)
                return 2
        adding = (args.command, getattr(args, "auth_action", None)) == ("clients", "add")
        if args.command != "token" and not adding:
            return run_auth(args, settings)
        out = io.StringIO()
        status = run_auth(args, settings, out)
    finally:
        if databases is not None:
            databases.stop()
    sys.stdout.write(out.getvalue())
    sys.stdout.flush()
    if status == 0 and args.command == "token":
        print(
            f"({_token_expiry(out.getvalue())}; the same command makes a new one)", file=sys.stderr
        )
    if status == 0 and adding:
        print(_next_after_client(args, settings, out.getvalue()))
    return status


async def _unknown_citizen(settings: Settings, nik: str) -> str | None:
    """Why a citizen token for ``nik`` would be useless, or None: SIAK must know the NIK
    (a token for anyone else answers null everywhere, which looks like a broken hub)."""
    try:
        parsed = str(NIK.parse(nik))
    except InvalidNIK:
        return None  # the token command itself says what is wrong with it
    from connectors.siak.reads import registered

    try:
        pool = await asyncpg.create_pool(
            settings.source_dsns[Source.SIAK], min_size=1, max_size=1, timeout=10
        )
    except DATABASE_ERRORS as exc:
        return f"cannot read SIAK to check NIK {parsed} ({type(exc).__name__})"
    try:
        known = await registered(SourceDB(Source.SIAK, pool), [parsed])
    finally:
        await pool.close()
    if parsed in known:
        return None
    return (
        f"NIK {parsed} is not in SIAK's population register, so its token would see"
        " nothing; use a NIK the demo printed (make demo lists the showcase families)"
    )


def _token_expiry(printed: str) -> str:
    try:
        payload = printed.strip().split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp, iat = int(claims["exp"]), int(claims["iat"])
    except (IndexError, ValueError, KeyError, TypeError):
        return "see its exp claim for when it expires"
    minutes = (exp - iat) // 60
    span = f"{minutes // 60} h" if minutes >= 60 and minutes % 60 == 0 else f"{minutes} min"
    return f"expires in {span}, at {datetime.fromtimestamp(exp):%H:%M}"


def _next_after_client(args: argparse.Namespace, settings: Settings, printed: str) -> str:
    fields = dict(line.split(None, 1) for line in printed.splitlines() if " " in line)
    client_id = fields.get("client_id", "CLIENT_ID").strip()
    if getattr(args, "public", False):
        return (
            "Next: the app signs citizens in with this client_id (authorization code with"
            " PKCE, to a registered redirect URI): docs/sign-in.md"
        )
    purposes = [spec.partition("=")[0] for spec in args.purpose]
    purpose = f" -d purpose={purposes[0]}" if purposes else ""
    operator = f" --purpose {purposes[0]}" if purposes else ""
    url = f"http://{_url_host(settings.host)}:{settings.port}/oauth/token"
    return "\n".join(
        [
            "Next: the partner gets a token with its id and secret (docs/partners.md):",
            f"  curl -s -u '{client_id}:<client_secret>' -d grant_type=client_credentials"
            f"{purpose} {url}",
            "or the operator prints one, without the secret:",
            f"  {cli_command()} token --client {client_id}{operator}",
        ]
    )


def _db(args: argparse.Namespace, settings: Settings) -> int:
    """``db status`` and ``db stop``: the embedded PostgreSQL in <data_dir>/pg."""
    pgdata = settings.data_dir / "pg"
    pid = postmaster_pid(pgdata)
    holders = live_holders(pgdata) if pid is not None else []
    if args.db_command == "status":
        if pid is None:
            print(f"no embedded PostgreSQL is running in {pgdata}")
        else:
            users = f"; used by pid {', '.join(map(str, holders))}" if holders else ""
            print(f"embedded PostgreSQL running in {pgdata} (pid {pid}){users}")
        return 0
    if pid is None:
        print(f"no embedded PostgreSQL is running in {pgdata}")
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


def _workers(value: str) -> int:
    if value == "auto":
        return os.cpu_count() or 1
    if not value.isdigit() or int(value) < 1:
        raise SettingsError("--workers", f"must be a positive number or 'auto', got {value!r}")
    return int(value)


def _marker_params(marker: str, citizens: int, seed: int) -> tuple[int, int]:
    fields = dict(p.split("=", 1) for p in marker.split() if "=" in p)
    return int(fields.get("citizens", citizens)), int(fields.get("seed", seed))
