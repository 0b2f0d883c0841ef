"""``citizen-hub audit verify|checkpoint``: check the disclosure log against its chains and
their signed checkpoints (exit 1 naming each problem); checkpoint every chain's head now."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import asyncpg

from hub.audit.checkpoint import FileSink, checkpoint_path, take_checkpoints
from hub.audit.log import DB_ERRORS
from hub.audit.verify import VerifyResult, chain_name, verify_chain
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
        help="check every writer's hash chain and the signed checkpoints;"
        " exit 1 naming each problem",
    )
    checkpoint = actions.add_parser(
        "checkpoint",
        help="sign each chain's head now and append them to the checkpoint file",
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
                taken = await take_checkpoints(conn, settings.auth)
            finally:
                await conn.close()
        if not taken:
            print("the disclosure log is empty: nothing to checkpoint")
            return 0
        for _, line in taken:
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
    for checkpoint, _ in taken:
        name = chain_name(checkpoint.writer)
        print(
            f"checkpoint: {name} seq {checkpoint.seq} sha256 {checkpoint.head.hex()} -> {sink.name}"
        )
    return 0


def format_result(result: VerifyResult, sink: str | None = None, found: bool = False) -> str:
    """The chains' line (with each head, to note down, when intact), a line per problem,
    and, for checkpoints read from ``sink`` (``found``: it held any), their summary."""
    lines = [f"{chain_name(p.writer)} seq {p.seq}: {p.kind}: {p.detail}" for p in result.problems]
    lines += [f"checkpoint line {p.line}: {p.kind}: {p.detail}" for p in result.checkpoint_problems]
    if result.problems:
        bad = len({(p.writer, p.seq) for p in result.problems})
        lines.append(f"chains broken: {bad} bad rows of {result.rows}")
    else:
        chains = len(result.chains)
        heads = [
            f"  {chain_name(c.writer)}: {c.rows} rows, head seq {c.seq} sha256 {c.head.hex()}"
            for c in result.chains
        ]
        noun = "chain" if chains == 1 else "chains"
        lines[:0] = [f"chains intact: {result.rows} rows in {chains} {noun}", *heads]
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
        latest = ""
        if last is not None:
            latest = (
                f", the latest at {chain_name(last.writer)} seq {last.seq} ({last.claims()['at']})"
            )
        lines.append(f"checkpoints: {result.checkpoints} hold in {sink}{latest}")
    return "\n".join(lines)
