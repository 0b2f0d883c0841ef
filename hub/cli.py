"""The ``citizen-hub`` entry point: :func:`main` reads the settings, applies the command
line's overrides and runs the command, turning a settings, seed, key-store or port
problem into one line and exit status 2.

The parser and its help tables are in :mod:`hub.cli_parser`; seed, serve, demo and db in
:mod:`hub.cli_commands`; the auth commands' additions in :mod:`hub.cli_auth`. The other
commands belong to their modules (``hub.audit.cli``, ``hub.identity.cli``, ...).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from dataclasses import replace

from connectors.seeding import SeedRefused
from hub.audit.cli import run_audit
from hub.auth.cli import AUTH_COMMANDS
from hub.auth.errors import KeyStoreError
from hub.auth.keys import require_key_encryption_key
from hub.cli_auth import auth_command
from hub.cli_commands import (
    db_command,
    format_report,
    parse_workers,
    seed_command,
    serve_command,
)
from hub.cli_parser import DATA_DIR_HELP as DATA_DIR_HELP
from hub.cli_parser import DEFAULT_CITIZENS as DEFAULT_CITIZENS
from hub.cli_parser import DEFAULT_SEED as DEFAULT_SEED
from hub.cli_parser import EPILOG as EPILOG
from hub.cli_parser import build_parser
from hub.counter import COUNTER_COMMANDS, run_counter
from hub.demo import format_showcase
from hub.documents.cli import DOCUMENTS_COMMANDS, run_documents
from hub.identity.cli import run_identity
from hub.logs import configure_logging
from hub.oauth import demo_settings, refuse_development_sign_in
from hub.production import check_production
from hub.schema_file import SCHEMA_COMMANDS, run_schema
from hub.settings import SettingsError, load_settings
from hub.workers import PortUnavailable

__all__ = ["format_report", "format_showcase", "main"]

log = logging.getLogger("citizen_hub")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    configure_logging()
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
            realistic = args.mess == "realistic"
            return asyncio.run(seed_command(settings, args.citizens, args.seed, realistic))
        if command == "serve":
            # Only the demo may keep the private signing keys in clear.
            require_key_encryption_key(settings.auth)
            refuse_development_sign_in(settings)
            check_production(settings)  # [server] production: no development choice at all
            return serve_command(settings, seed_if_empty=None, workers=parse_workers(args.workers))
        if command == "demo":
            check_production(demo_settings(settings))  # the demo is development itself
            return serve_command(
                demo_settings(settings),
                seed_if_empty=(args.citizens, args.seed),
                workers=parse_workers(args.workers),
                keep_db=args.keep_db,
                realistic=args.mess == "realistic",
            )
        if command == "audit":
            return run_audit(args, settings)
        if command == "identity":
            return run_identity(args, settings)
        if command in DOCUMENTS_COMMANDS:
            return run_documents(args, settings)
        if command in AUTH_COMMANDS:
            return auth_command(args, settings)
        if command in COUNTER_COMMANDS:
            return run_counter(args, settings)
        if command in SCHEMA_COMMANDS:
            return run_schema(args)
        if command == "db":
            return db_command(args, settings)
    except (SettingsError, SeedRefused, KeyStoreError, PortUnavailable) as exc:
        print(f"citizen-hub: {exc}", file=sys.stderr)
        return 2
    parser.print_help()
    return 2


def _parser() -> argparse.ArgumentParser:
    """The parser of every command (:func:`hub.cli_parser.build_parser`)."""
    return build_parser()
