"""``citizen-hub documents add|list|remove``: the operations clients may ask for by id."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import asyncpg

from connectors.base import DATABASE_ERRORS
from hub.databases import resolve
from hub.documents.files import DocumentFileError, read_operations
from hub.documents.store import register, registered, unregister
from hub.migrate import migrate
from hub.settings import Settings
from schema.execution.trusted import PREFIX, parse_document_id

DOCUMENTS_COMMANDS = ("documents",)


def add_documents_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``documents add``, ``documents list`` and ``documents remove``."""
    documents = commands.add_parser(
        "documents", help="trusted documents: the operations clients may send by id"
    )
    actions = documents.add_subparsers(dest="documents_command", required=True)
    add = actions.add_parser(
        "add", help="register each operation of the .graphql files; prints each id"
    )
    add.add_argument("files", nargs="+", type=Path, metavar="FILE", help=".graphql files")
    add.add_argument(
        "--manifest",
        type=Path,
        metavar="FILE",
        help="also write {operation name: id} as JSON to FILE, for the client's build"
        " (default: none written)",
    )
    add.add_argument("--data-dir", type=Path, help="embedded server folder (default .data)")
    list_ = actions.add_parser("list", help="every registered document: id, operation, file")
    list_.add_argument("--data-dir", type=Path, help="embedded server folder (default .data)")
    remove = actions.add_parser("remove", help="stop answering these ids (within a minute)")
    remove.add_argument("ids", nargs="+", metavar="ID", help="sha256:<hex>, as list shows it")
    remove.add_argument("--data-dir", type=Path, help="embedded server folder (default .data)")


def run_documents(args: argparse.Namespace, settings: Settings) -> int:
    """Run the ``documents`` subcommand ``args`` names; returns the exit status."""
    try:
        return asyncio.run(_run(args, settings))
    except DocumentFileError as exc:
        print(f"citizen-hub: documents add: {exc}", file=sys.stderr)
        return 2
    except DATABASE_ERRORS as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"citizen-hub: documents {args.documents_command}: {reason}", file=sys.stderr)
        return 2


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.documents_command == "remove":
        digests = [parse_document_id(i) for i in args.ids]
        bad = [i for i, d in zip(args.ids, digests, strict=True) if d is None]
        if bad:
            print(
                f"citizen-hub: documents remove: {bad[0]!r} is no id (sha256:<hex>)",
                file=sys.stderr,
            )
            return 2
    operations = []
    if args.documents_command == "add":
        # Read and validated before any database is started: a typo costs nothing.
        from schema.build import build_schema

        operations = read_operations(args.files, build_schema()._schema)
    databases = await resolve(settings)
    try:
        assert databases.settings.hub_dsn is not None
        conn = await asyncpg.connect(databases.settings.hub_dsn, timeout=10)
        try:
            await migrate(conn)
            if args.documents_command == "add":
                added = await register(conn, operations)
                for operation, new in zip(operations, added, strict=True):
                    state = "registered" if new else "already registered"
                    name = operation.name or "(anonymous)"
                    print(f"{operation.id}  {name}  {operation.origin}  {state}")
                if args.manifest is not None:
                    manifest = {o.name or o.id: o.id for o in operations}
                    args.manifest.write_text(json.dumps(manifest, indent=2) + "\n")
                return 0
            if args.documents_command == "list":
                stored = await registered(conn)
                for s in stored:
                    print(
                        f"{s.id}  {s.operation or '(anonymous)'}  {s.origin or '-'}"
                        f"  {s.size} characters  added {s.added_at:%Y-%m-%d %H:%M}"
                    )
                if not stored:
                    print("no registered documents (citizen-hub documents add FILE...)")
                return 0
            removed = set(await unregister(conn, [d for d in digests if d]))
            for digest in digests:
                state = "removed" if digest in removed else "was not registered"
                print(f"{PREFIX}{digest}  {state}")
            return 0 if len(removed) == len(set(digests)) else 1
        finally:
            await conn.close()
    finally:
        databases.stop()
