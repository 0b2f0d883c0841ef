"""``citizen-hub identity sync|report|evaluate|review``: build the crosswalk, print its
data-quality report, measure it against the synthetic city's truth, or review its links in
doubt."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import asyncpg

from connectors.base import DATABASE_ERRORS, Source
from connectors.crosswalk.review import ReviewError
from hub.databases import resolve
from hub.identity.evaluate import (
    FLOORS,
    FloorsError,
    check_floors,
    format_evaluation,
    load_evaluation,
    read_floors,
)
from hub.identity.report import format_report, load_report
from hub.identity.review_cli import add_review_parser, check_review_args, run_review
from hub.identity.sync import SyncResult, sync_databases
from hub.migrate import migrate
from hub.settings import Settings
from schema.errors import AuditUnavailable

# What a database can fail with: unreachable, refused, or an error of its own.
_DB_ERRORS = DATABASE_ERRORS


def add_identity_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``identity sync`` and ``identity report`` on the ``citizen-hub`` parser."""
    identity = commands.add_parser("identity", help="the identity crosswalk")
    actions = identity.add_subparsers(dest="identity_command", required=True)
    sync_ = actions.add_parser(
        "sync", help="link every identifier the products hold to a NIK; writes only what changed"
    )
    sync_.add_argument("--data-dir", type=Path, help="embedded server folder (default .data)")
    sync_.add_argument(
        "--full",
        action="store_true",
        help="read and link everything even when no product, SIAK, decision or the linker"
        " changed since the last sync (by default such a sync only checks and records)",
    )
    report = actions.add_parser(
        "report", help="links and data-quality findings per source and rule, with examples"
    )
    report.add_argument("--data-dir", type=Path, help="embedded server folder (default .data)")
    report.add_argument("--examples", type=int, default=3, help="examples per rule (default 3)")
    evaluate = actions.add_parser(
        "evaluate",
        help="the crosswalk against the synthetic city's truth: precision and recall per"
        " source, method and mess class; fails when a figure is below its floor",
    )
    evaluate.add_argument("--data-dir", type=Path, help="embedded server folder (default .data)")
    evaluate.add_argument(
        "--floors",
        type=Path,
        default=FLOORS,
        help="the floors file (default: the one shipped, hub/identity/floors.toml)",
    )
    evaluate.add_argument(
        "--no-floors", action="store_true", help="print the figures, check no floor"
    )
    add_review_parser(actions)


def run_identity(args: argparse.Namespace, settings: Settings) -> int:
    """Run the ``identity`` subcommand ``args`` names; returns the exit status."""
    if args.identity_command == "report" and args.examples < 0:
        print("citizen-hub: --examples must be 0 or more", file=sys.stderr)
        return 2
    problem = check_review_args(args) if args.identity_command == "review" else None
    if problem is not None:
        print(f"citizen-hub: identity review: {problem}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(args, settings))
    except (FloorsError, LookupError, ReviewError) as exc:
        print(f"citizen-hub: identity {args.identity_command}: {exc}", file=sys.stderr)
        return 2
    except AuditUnavailable:
        print(
            f"citizen-hub: identity {args.identity_command}: the disclosure log could not be"
            " written: no NIK shown",
            file=sys.stderr,
        )
        return 2
    except _DB_ERRORS as exc:
        print(f"citizen-hub: identity {args.identity_command}: {_reason(exc)}", file=sys.stderr)
        return 2


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    databases = await resolve(settings)
    try:
        resolved = databases.settings
        assert resolved.hub_dsn is not None
        if args.identity_command == "sync":
            result = await sync_databases(resolved.source_dsns, resolved.hub_dsn, full=args.full)
            print(format_sync(result))
            return 0
        if args.identity_command == "evaluate":
            return await _evaluate(args, resolved.source_dsns[Source.SIAK], resolved.hub_dsn)
        hub = await asyncpg.connect(resolved.hub_dsn, timeout=10)
        try:
            await migrate(hub)
            if args.identity_command == "review":
                return await run_review(args, hub, resolved)
            print(format_report(await load_report(hub, args.examples)))
        finally:
            await hub.close()
        return 0
    finally:
        databases.stop()


async def _evaluate(args: argparse.Namespace, siak_dsn: str, hub_dsn: str) -> int:
    floors = None if args.no_floors else read_floors(args.floors)
    siak = await asyncpg.connect(siak_dsn, timeout=10)
    hub = await asyncpg.connect(hub_dsn, timeout=10)
    try:
        await migrate(hub)
        result = await load_evaluation(siak, hub)
    finally:
        await siak.close()
        await hub.close()
    print(format_evaluation(result))
    if floors is None:
        return 0
    breaches = check_floors(result, floors)
    for b in breaches:
        shown = "nothing" if b.value is None else f"{b.value:.4g}"
        print(f"below its floor: {b.figure} is {shown}, floor {b.floor:g}", file=sys.stderr)
    if breaches:
        return 1
    print(f"every figure meets its floor ({args.floors})")
    return 0


def format_sync(result: SyncResult) -> str:
    """What a sync read and changed, and how long it took."""
    read = ", ".join(f"{s.name} {n}" for s, n in result.records.items())
    steps = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in result.timings.items())
    lines = [f"identity sync done in {result.seconds:.1f}s ({steps})"]
    if result.relinked:
        lines.append(f"  records read: {read}")
    else:
        lines.append(
            "  nothing changed since the last sync (products, SIAK, rejections, linker):"
            " nothing read or linked"
        )
        lines.append(f"  records the last sync read: {read}")
    for name, changes in (("links", result.links), ("findings", result.findings)):
        lines.append(
            f"  {name}: {changes.total} now; {changes.inserted} inserted,"
            f" {changes.updated} updated, {changes.removed} removed"
        )
    return "\n".join(lines)


def _reason(exc: BaseException) -> str:
    # Never the server's message: it can quote SQL and values.
    if isinstance(exc, asyncpg.PostgresError):
        return f"database error {exc.sqlstate} ({type(exc).__name__})"
    if isinstance(exc, ConnectionRefusedError):
        return "a database refused the connection"
    return type(exc).__name__
