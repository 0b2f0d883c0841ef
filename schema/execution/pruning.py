"""How a denied field leaves the document before execution and comes back into the answer.

:func:`prune` copies the operation without the fields denied at every place they
answer (a selection left empty keeps a ``__typename`` placeholder); after execution
:func:`null_at` puts a null at each denied place, :func:`drop_pruned` takes the
placeholders out and :func:`reorder` gives the objects back the operation's order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from graphql import DocumentNode, FieldNode, NameNode, SelectionSetNode, visit
from graphql.language import Visitor
from graphql.language.visitor import REMOVE

from schema.execution.document import Visit

PRUNED = "__pruned"


def null_at(node: Any, keys: tuple[str, ...], path: list[str | int]) -> Iterator[list[str | int]]:
    """Null the field ``keys`` leads to below ``node`` (through lists), yielding each path."""
    if node is None:
        return
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from null_at(item, keys, [*path, i])
        return
    if len(keys) == 1:
        node[keys[0]] = None
        yield [*path, keys[0]]
        return
    yield from null_at(node.get(keys[0]), keys[1:], [*path, keys[0]])


def reorder(node: Any, parent: tuple[str, ...], keys: list[str]) -> None:
    """Put the keys of the objects at ``parent`` in ``keys``' order, as GraphQL answers
    fields in the order they were asked (a denied field, nulled back in, came last)."""
    if isinstance(node, list):
        for item in node:
            reorder(item, parent, keys)
    elif isinstance(node, dict):
        if parent:
            reorder(node.get(parent[0]), parent[1:], keys)
            return
        ordered = {key: node.pop(key) for key in keys if key in node}
        ordered.update(node)
        node.clear()
        node.update(ordered)


def drop_pruned(node: Any) -> None:
    """Take the placeholders :func:`prune` left out of the answer."""
    if isinstance(node, list):
        for item in node:
            drop_pruned(item)
    elif isinstance(node, dict):
        node.pop(PRUNED, None)
        for value in node.values():
            drop_pruned(value)


class _Pruner(Visitor):
    def __init__(self, denied: set[int]) -> None:
        super().__init__()
        self.denied = denied

    def enter_field(self, node: FieldNode, *_: Any) -> Any:
        return REMOVE if id(node) in self.denied else None

    def leave_selection_set(self, node: SelectionSetNode, *_: Any) -> Any:
        if node.selections:
            return None
        # Everything below was denied: keep the selection valid with a placeholder
        # that Decision.apply removes from the answer.
        placeholder = FieldNode(
            alias=NameNode(value=PRUNED),
            name=NameNode(value="__typename"),
            arguments=(),
            directives=(),
        )
        return SelectionSetNode(selections=(placeholder,))


def prune(
    document: DocumentNode, visits: Sequence[Visit], denied: set[tuple[str, ...]]
) -> DocumentNode:
    """A copy of ``document`` without the nodes denied at every place they answer.

    A node that also answers somewhere allowed stays; :meth:`Decision.apply` nulls
    its denied places. The parsed original is cached and left untouched.
    """
    places: dict[int, list[bool]] = {}
    for v in visits:
        is_denied = any(v.path[:i] in denied for i in range(1, len(v.path) + 1))
        for node in v.nodes:
            places.setdefault(id(node), []).append(is_denied)
    removable = {node for node, flags in places.items() if all(flags)}
    pruned: DocumentNode = visit(document, _Pruner(removable))
    return pruned
