"""The graph's contract as files: the SDL (``schema.graphql``), its changes, the scope table.

    citizen-hub schema print [--output schema.graphql]   # the SDL the code serves
    citizen-hub schema diff OLD [NEW]                    # breaking and dangerous changes
    citizen-hub scopes [--markdown]                      # scope -> fields -> product

``schema.graphql`` at the repository's root is checked in; a unit test fails when the
code's schema and the file differ (tests/unit/test_schema_file.py). ``schema diff``
exits 1 when a change would break a client that worked against OLD.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TextIO

from graphql import (
    GraphQLError,
    find_breaking_changes,
    find_dangerous_changes,
)
from graphql import build_schema as build_sdl

from connectors.base import Source

SCHEMA_FILE: Final = Path("schema.graphql")
SCHEMA_COMMANDS: Final = frozenset({"schema", "scopes"})

# What each scope's prefix reads: the product behind it, or the hub's own store.
_PRODUCT_OF_PREFIX: Final = {s.value: s.name for s in Source} | {
    "sikda": "SIKDa",
    "sipbd": "SIPBD (through SIKDa's NIP)",
    "antrian": "Antrian",
    "identity": "hub: identity crosswalk of all eight",
    "audit": "hub: disclosure log",
}


def schema_sdl() -> str:
    """The SDL of the schema the code serves, as ``schema.graphql`` holds it: the
    subgraph SDL a Federation gateway reads from ``_service { sdl }``, followed by the
    definitions of the Federation directives it applies."""
    from schema.build import build_schema  # the whole graph: imported only when asked

    sdl = str(build_schema()).rstrip("\n")
    return sdl + _federation_definitions(sdl) + "\n"


# The Federation 2 spec's definitions of the directives a subgraph SDL applies without
# defining them (gateways know them); composition checks any given definition against
# these, so they are written as the spec has them, not as strawberry names its own types.
_FEDERATION_DEFINITIONS: Final = {
    "link": (
        "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import])"
        " repeatable on SCHEMA",
        "scalar link__Import",
        "enum link__Purpose {\n  SECURITY\n  EXECUTION\n}",
    ),
    "key": (
        "directive @key(fields: federation__FieldSet!, resolvable: Boolean = true)"
        " repeatable on OBJECT | INTERFACE",
        "scalar federation__FieldSet",
    ),
}


def _federation_definitions(sdl: str) -> str:
    """The definitions of the Federation directives ``sdl`` applies: with them the file
    stands alone, so graphql-core (``schema diff``) and code generators read it, and a
    composition tool still accepts it as the hub's subgraph SDL."""
    printed = [
        definition
        for name, definitions in _FEDERATION_DEFINITIONS.items()
        if f"@{name}(" in sdl
        for definition in definitions
    ]
    return "".join(f"\n\n{d}" for d in printed)


@dataclass(frozen=True, slots=True)
class SchemaChange:
    breaking: bool
    kind: str
    description: str

    def __str__(self) -> str:
        return f"{'BREAKING ' if self.breaking else 'dangerous'}  {self.kind}: {self.description}"


def schema_changes(old_sdl: str, new_sdl: str) -> list[SchemaChange]:
    """What changed from ``old_sdl`` to ``new_sdl`` that a client could notice: breaking
    changes first (a query that worked fails), then dangerous ones (it may answer
    differently, e.g. an enum value it does not know)."""
    old, new = build_sdl(old_sdl), build_sdl(new_sdl)
    changes = [
        SchemaChange(True, c.type.name, c.description) for c in find_breaking_changes(old, new)
    ]
    changes += [
        SchemaChange(False, c.type.name, c.description) for c in find_dangerous_changes(old, new)
    ]
    return changes


def scope_rows(
    field_scopes: dict[tuple[str, str], str] | None = None,
) -> list[tuple[str, str, str]]:
    """(scope, product, fields) for every scope in the catalogue, in catalogue order
    by product; a scope no field needs yet says so."""
    from hub.auth.scopes import SCOPES
    from schema.scopes import FIELD_SCOPES

    table = FIELD_SCOPES if field_scopes is None else field_scopes
    fields: dict[str, list[str]] = defaultdict(list)
    for (type_name, field_name), scope in table.items():
        fields[scope].append(f"{type_name}.{field_name}")
    order = [s.value for s in Source] + ["identity", "audit"]

    def key(scope: str) -> tuple[int, str]:
        prefix = scope.partition(":")[0]
        return (order.index(prefix) if prefix in order else len(order), scope)

    rows = []
    for scope in sorted(SCOPES | set(fields), key=key):
        product = _PRODUCT_OF_PREFIX.get(scope.partition(":")[0], "?")
        rows.append((scope, product, " ".join(fields.get(scope, [])) or "(no field yet)"))
    return rows


def format_scopes(rows: list[tuple[str, str, str]], markdown: bool = False) -> str:
    """The scope table as text for a terminal, or as a Markdown table for the docs."""
    if markdown:
        lines = ["| scope | product | fields |", "|---|---|---|"]
        for scope, product, names in rows:
            shown = ", ".join(f"`{n}`" for n in names.split()) if "." in names else names
            lines.append(f"| `{scope}` | {product} | {shown} |")
        return "\n".join(lines)
    width = max(len(r[0]) for r in rows) + 2
    product_width = max(len(r[1]) for r in rows) + 2
    lines = [f"{'scope':<{width}}{'product':<{product_width}}fields"]
    indent = " " * (width + product_width)
    for scope, product, names in rows:
        wrapped = textwrap.wrap(names, 100 - len(indent)) or [""]
        lines.append(f"{scope:<{width}}{product:<{product_width}}{wrapped[0]}")
        lines += [indent + more for more in wrapped[1:]]
    lines.append("")
    lines.append(
        "A field not listed needs no scope of its own. A partner's token gets the scopes of its"
    )
    lines.append("client within its purpose's; a citizen's token every scope but identity:resolve")
    lines.append("and identity:steward, for its own data (docs/partners.md, docs/access.md).")
    return "\n".join(lines)


def add_schema_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``schema print|diff`` and ``scopes`` on the ``citizen-hub`` parser."""
    schema = commands.add_parser(
        "schema", help="the GraphQL schema as SDL: print it, or diff two versions"
    )
    actions = schema.add_subparsers(dest="schema_command", required=True, metavar="ACTION")
    print_ = actions.add_parser("print", help="write the SDL the code serves")
    print_.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help=f"write to FILE, e.g. {SCHEMA_FILE} (default: standard output)",
    )
    diff = actions.add_parser(
        "diff", help="list breaking and dangerous changes from OLD to NEW; exit 1 if breaking"
    )
    diff.add_argument("old", metavar="OLD", type=Path, help="the SDL file clients know")
    diff.add_argument(
        "new",
        metavar="NEW",
        type=Path,
        nargs="?",
        help="the SDL file to compare (default: the schema the code serves now)",
    )
    scopes = commands.add_parser(
        "scopes", help="the scope table: each scope, the product it reads, its fields"
    )
    scopes.add_argument(
        "--markdown", action="store_true", help="a Markdown table (default: plain text)"
    )


def run_schema(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Run ``schema print|diff`` or ``scopes``; returns the exit status."""
    if args.command == "scopes":
        print(format_scopes(scope_rows(), markdown=args.markdown), file=out)
        return 0
    if args.schema_command == "print":
        sdl = schema_sdl()
        if args.output is None:
            out.write(sdl)
        else:
            args.output.write_text(sdl, encoding="utf-8")
            print(f"wrote {args.output} ({sdl.count(chr(10))} lines)", file=sys.stderr)
        return 0
    try:
        old_sdl = _read(args.old)
        new_sdl = schema_sdl() if args.new is None else _read(args.new)
        changes = schema_changes(old_sdl, new_sdl)
    except (OSError, GraphQLError, TypeError) as exc:
        print(f"citizen-hub: schema diff: {_one_line(exc)}", file=sys.stderr)
        return 2
    new_name = args.new or "the code's schema"
    if not changes:
        print(f"no breaking or dangerous changes from {args.old} to {new_name}", file=out)
        return 0
    for change in changes:
        print(change, file=out)
    breaking = sum(c.breaking for c in changes)
    print(
        f"{breaking} breaking, {len(changes) - breaking} dangerous"
        f" change(s) from {args.old} to {new_name}",
        file=out,
    )
    return 1 if breaking else 0


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OSError(f"{path} does not exist") from None
    except OSError as exc:
        raise OSError(f"cannot read {path} ({exc.strerror})") from None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
