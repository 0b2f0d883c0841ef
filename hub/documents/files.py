"""Operations read from ``.graphql`` files, each as the text a client's id stands for.

A file holding one operation (with or without fragments) is one document: its text
exactly as written, so the id a client computes from the same file (or from the text
it would otherwise send) is the id the hub registers. A file holding several
operations is split: each operation, followed by the fragments it spreads (in the
file's order), as written, separated by a blank line.

Each document is validated against the hub's schema first: a document the hub could
never answer is refused with the file, the operation and graphql-core's message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    validate,
    visit,
)
from graphql.language import Visitor

from schema.execution.trusted import document_id


class DocumentFileError(Exception):
    """A file that cannot be registered; ``str()`` names it and what is wrong."""


@dataclass(frozen=True, slots=True)
class Operation:
    name: str | None
    text: str
    origin: str  # the file it was read from

    @property
    def id(self) -> str:
        return document_id(self.text)


def read_operations(paths: list[Path], schema: GraphQLSchema | None) -> list[Operation]:
    """Every operation of ``paths``, validated against ``schema`` (None: not validated,
    for the hub's own files, which a test validates); DocumentFileError on the first
    problem."""
    found: list[Operation] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DocumentFileError(f"{path}: cannot be read ({exc})") from None
        found.extend(operations_of(text, str(path), schema))
    return found


def operations_of(text: str, origin: str, schema: GraphQLSchema | None) -> list[Operation]:
    try:
        document = parse(text)
    except GraphQLError as exc:
        raise DocumentFileError(f"{origin}: {exc.message}") from None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
        raise DocumentFileError(f"{origin}: holds no operation (query, mutation, subscription)")
    if len(operations) == 1:
        pieces = [(operations[0], text)]
    else:
        pieces = [(o, _with_fragments(o, document, text)) for o in operations]
    found = []
    for operation, body in pieces:
        name = operation.name.value if operation.name else None
        problems = validate(schema, parse(body)) if schema is not None else []
        if problems:
            where = f"{origin}: operation {name or '(anonymous)'}"
            raise DocumentFileError(f"{where}: {problems[0].message}")
        found.append(Operation(name, body, origin))
    return found


def _with_fragments(operation: OperationDefinitionNode, document: DocumentNode, text: str) -> str:
    """The operation and the fragments it spreads, as written, in the file's order."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    needed: set[str] = set()
    pending: list[OperationDefinitionNode | FragmentDefinitionNode] = [operation]
    while pending:
        for name in _spreads(pending.pop()):
            if name not in needed and name in fragments:
                needed.add(name)
                pending.append(fragments[name])
    parts = [
        _source(d, text)
        for d in document.definitions
        if d is operation or (isinstance(d, FragmentDefinitionNode) and d.name.value in needed)
    ]
    return "\n\n".join(parts) + "\n"


def _spreads(node: OperationDefinitionNode | FragmentDefinitionNode) -> set[str]:
    names: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
            names.add(spread.name.value)

    visit(node, Spreads())
    return names


def _source(node: OperationDefinitionNode | FragmentDefinitionNode, text: str) -> str:
    assert node.loc is not None
    return text[node.loc.start : node.loc.end]


#: The reference super-app's operations (``hub/static/examples/super-app/``): the page
#: sends their ids only, and the demo registers them at start.
SUPER_APP_FILES = tuple(
    sorted((Path(__file__).parent.parent / "static" / "examples" / "super-app").glob("*.graphql"))
)


def super_app_operations() -> list[Operation]:
    return read_operations(list(SUPER_APP_FILES), None)
