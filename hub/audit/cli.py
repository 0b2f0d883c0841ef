"""``citizen-hub audit verify|checkpoint``: check the disclosure log against its chain and
its signed checkpoints (exit 1 naming each problem); checkpoint its head now."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import asyncpg

from hub.audit.checkpoint import FileSink, checkpoint_path, take_checkpoint
from hub.audit.log import DB_ERRORS
from hub.audit.verify import VerifyResult, verify_chain
from hub.auth.errors import KeyStoreError
from hub.databases import hub_dsn
from hub.settings import Settings, redact

NO_LOG_YET = (
    "citizen-hub: the hub database has no disclosure log yet"
    " (serving the hub once applies its migrations)"
)


def add_audit_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``audit verify`` and ``audit checkpoint`` on the ``citizen-hub`` parser."""
    audit = commands.add_parser("audit", help="the disclosure log")
    actions = audit.add_subparsers(dest="audit_command", required=True)
    verify = actions.add_parser(
        "verify",
        help="check the hash chain and the signed checkpoints; exit 1 naming each problem",
    )
    checkpoint = actions.add_parser(
        "checkpoint", help="sign the chain's head now and append it to the checkpoint file"
    )
    for action in (verify, checkpoint):
        action.add_argument("--data-dir", type=Path, help="embedded server folder (default .data)")
        action.add_argument(
            "--checkpoints",
            type=Path,
            help="checkpoint file (default [audit] checkpoint_file, or"
            " <data-dir>/audit-checkpoints.jsonl)",
        )


def run_audit(args: argparse.Namespace, settings: Settings) -> int:
    """Run the ``audit`` subcommand ``args`` names; returns the exit status."""
    sink = FileSink(getattr(args, "checkpoints", None) or checkpoint_path(settings))
    if args.audit_command == "verify":
        return asyncio.run(_verify(settings, sink))
    if args.audit_command == "checkpoint":
        return asyncio.run(_checkpoint(settings, sink))
    return 2


async def _verify(settings: Settings, sink: FileSink) -> int:
    dsn = settings.hub_dsn or "the embedded hub database"
    try:
        lines = await asyncio.to_thread(sink.read)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"citizen-hub: cannot read the checkpoints in {sink.name} ({exc})", file=sys.stderr)
        return 2
    try:
        async with hub_dsn(settings) as dsn:
            conn = await asyncpg.connect(dsn, timeout=10)
            try:
                result = await verify_chain(conn, checkpoint_lines=lines or [])
            finally:
                await conn.close()
    except asyncpg.UndefinedTableError:
        print(NO_LOG_YET, file=sys.stderr)
        return 2
    except DB_ERRORS as exc:
        print(f"citizen-hub: cannot read {redact(dsn)} ({type(exc).__name__})", file=sys.stderr)
        return 2
    print(format_result(result, sink.name, found=bool(lines)))
    return 0 if result.intact else 1


async def _checkpoint(settings: Settings, sink: FileSink) -> int:
    dsn = settings.hub_dsn or "the embedded hub database"
    try:
        async with hub_dsn(settings) as dsn:
            conn = await asyncpg.connect(dsn, timeout=10)
            try:
                taken = await take_checkpoint(conn, settings.auth)
            finally:
                await conn.close()
        if taken is None:
            print("the disclosure log is empty: nothing to checkpoint")
            return 0
        checkpoint, line = taken
        await asyncio.to_thread(sink.append, line)
    except asyncpg.UndefinedTableError:
        print(NO_LOG_YET, file=sys.stderr)
        return 2
    except KeyStoreError as exc:
        print(f"citizen-hub: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"citizen-hub: cannot append to {sink.name} ({exc.strerror})", file=sys.stderr)
        return 2
    except DB_ERRORS as exc:
        print(f"citizen-hub: cannot read {redact(dsn)} ({type(exc).__name__})", file=sys.stderr)
        return 2
    print(f"checkpoint: seq {checkpoint.seq} sha256 {checkpoint.head.hex()} -> {sink.name}")
    return 0


def format_result(result: VerifyResult, sink: str | None = None, found: bool = False) -> str:
    """The chain's line (with its head, to note down, when intact), a line per problem,
    and, for checkpoints read from ``sink`` (``found``: it held any), their summary."""
    lines = [f"seq {p.seq}: {p.kind}: {p.detail}" for p in result.problems]
    lines += [f"checkpoint line {p.line}: {p.kind}: {p.detail}" for p in result.checkpoint_problems]
    if result.problems:
        bad = len({p.seq for p in result.problems})
        lines.append(f"chain broken: {bad} bad rows of {result.rows}")
    else:
        head = ""
        if result.head_hash is not None:
            head = f"; head seq {result.head_seq} sha256 {result.head_hash.hex()}"
        lines.insert(0, f"chain intact: {result.rows} rows{head}")
    if sink is None:
        return "\n".join(lines)
    if not found:
        lines.append(
            f"checkpoints: none in {sink}; only the chain's own links were checked"
            " (a tail rewritten with recomputed hashes, or cut off, would not show)"
        )
    elif result.checkpoint_problems:
        bad_lines = len(result.checkpoint_problems)
        lines.append(f"checkpoints: {bad_lines} bad lines in {sink}")
    else:
        last = result.last_checkpoint
        latest = f", the latest at seq {last.seq} ({last.claims()['at']})" if last else ""
        lines.append(f"checkpoints: {result.checkpoints} hold in {sink}{latest}")
    return "\n".join(lines)
