"""The ``citizen-hub`` command line's definition: its parser, the options of seed, serve,
demo and db, and the help tables that give every subcommand a line and every option its
help and default, including those other modules register (``hub.auth.cli``,
``hub.audit.cli``, ...). :mod:`hub.cli` parses with it and runs the commands.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hub.audit.cli import add_audit_parser
from hub.auth.cli import add_auth_parsers
from hub.counter import add_counter_parsers
from hub.documents.cli import add_documents_parser
from hub.identity.cli import add_identity_parser
from hub.schema_file import add_schema_parsers

DEFAULT_CITIZENS = 10_000
DEFAULT_SEED = 42

DESCRIPTION = """\
citizen-hub: seed the synthetic city, serve the hub, or both (demo); and the operator's
commands (clients, purposes, keys, tokens, the identity crosswalk, the disclosure log,
the embedded PostgreSQL, the schema file)."""

EPILOG = """\
From a checkout, the command is .venv/bin/citizen-hub (or run: source .venv/bin/activate,
then citizen-hub). Settings: citizen-hub.toml or CITIZEN_HUB_* variables (README.md,
docs/operations.md). Each command has its own --help, e.g. citizen-hub demo --help."""

DATA_DIR_HELP = "embedded PostgreSQL folder (default [server] data_dir, .data)"


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command, its help complete (:func:`complete_help`)."""
    parser = argparse.ArgumentParser(
        prog="citizen-hub",
        description=DESCRIPTION,
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
    _data_dir_option(seed)

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
    add_documents_parser(commands)
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
        _data_dir_option(action)
    complete_help(parser)
    return parser


def _data_dir_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--data-dir", type=Path, help=DATA_DIR_HELP)


def _server_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--host", help="address to listen on (default [server] host, 127.0.0.1)")
    command.add_argument(
        "--port",
        type=int,
        help="port to listen on, 1-65535 (default [server] port or CITIZEN_HUB_PORT, 8080)",
    )
    _data_dir_option(command)


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
    command.add_argument(
        "--mess",
        choices=("realistic", "legacy"),
        default="realistic",
        help="realistic (default): plant the mess real registers have (mistyped NIKs, name"
        " variants, deaths, new family cards...), counted, with the truth kept beside SIAK"
        " for `identity evaluate`; legacy: only the seeders' own mess",
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


def complete_help(parser: argparse.ArgumentParser, path: str = "") -> None:
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
                complete_help(sub, where)
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
