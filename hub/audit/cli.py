"""``citizen-hub audit verify``: walk the disclosure chain; exit 1 naming each bad row."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import asyncpg

from hub.audit.log import DB_ERRORS
from hub.audit.verify import VerifyResult, verify_chain
from hub.databases import hub_dsn
from hub.settings import Settings, redact


def add_audit_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``audit verify`` on the ``citizen-hub`` command parser."""
    audit = commands.add_parser("audit", help="the disclosure log")
    actions = audit.add_subparsers(dest="audit_command", required=True)
    verify = actions.add_parser(
        "verify", help="check the hash chain; exit 1 naming each altered, removed or moved row"
    )
    verify.add_argument("--data-dir", type=Path, help="embedded server folder (default .data)")


def run_audit(args: argparse.Namespace, settings: Settings) -> int:
    """Run the ``audit`` subcommand ``args`` names; returns the exit status."""
    if args.audit_command == "verify":
        return asyncio.run(_verify(settings))
    return 2


async def _verify(settings: Settings) -> int:
    dsn = settings.hub_dsn or "the embedded hub database"
    try:
        async with hub_dsn(settings) as dsn:
            conn = await asyncpg.connect(dsn, timeout=10)
            try:
                result = await verify_chain(conn)
            finally:
                await conn.close()
    except asyncpg.UndefinedTableError:
        print(
            "citizen-hub: the hub database has no disclosure log yet"
            " (serving the hub once applies its migrations)",
            file=sys.stderr,
        )
        return 2
    except DB_ERRORS as exc:
        print(f"citizen-hub: cannot read {redact(dsn)} ({type(exc).__name__})", file=sys.stderr)
        return 2
    print(format_result(result))
    return 0 if result.intact else 1


def format_result(result: VerifyResult) -> str:
    """One line when intact (with the head, to note down); else a line per problem."""
    if result.intact:
        head = ""
        if result.head_hash is not None:
            head = f"; head seq {result.head_seq} sha256 {result.head_hash.hex()}"
        return f"chain intact: {result.rows} rows{head}"
    lines = [f"seq {p.seq}: {p.kind}: {p.detail}" for p in result.problems]
    bad = len({p.seq for p in result.problems})
    lines.append(f"chain broken: {bad} bad rows of {result.rows}")
    return "\n".join(lines)
