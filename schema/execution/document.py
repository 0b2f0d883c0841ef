"""One operation, seen as graphql-core will execute it, in passes linear in its size.

:func:`measure` runs right after parsing, before validation and before anything
else looks at the document: it counts, per operation, the field selections with
every fragment expanded, the nesting depth and the root fields. Each fragment is
measured once and its figures reused wherever it is spread, so a document whose
fragments spread each other twice per level (work doubling per level when
expanded naively) costs one visit per node; the figures it computes may be
astronomically large, and the operation is then refused before any pass expands
it.

:func:`walk` runs once an operation is within those limits. It asks graphql-core
itself for the values execution will use: ``Executor.build`` coerces the
variables (defaults of variables the request left out included), graphql-core's
``collect_fields`` applies ``@include``/``@skip``, fragments and type conditions
and merges aliases exactly as execution does, and ``get_argument_values`` coerces
each argument (a bare string given for a list becomes a one-item list). Its
visits are bounded by :func:`measure`'s field count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution import Executor, get_argument_values
from graphql.execution.collect_fields import collect_fields, collect_subfields


@dataclass(frozen=True, slots=True)
class Measure:
    """Figures of one operation with its fragments expanded (upper bounds)."""

    fields: int  # field selections: bounds the fields the answer can have per object
    depth: int  # deepest nesting of fields; introspection fields (``__schema``) do not count
    root_fields: int
    work: int  # selection sets read to find these figures: at most those in the document


@dataclass(frozen=True, slots=True)
class _Figures:
    fields: int = 0
    depth: int = 0
    top: int = 0


def operation_of(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation graphql-core will run (None where it is ambiguous or missing)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def measure(document: DocumentNode, operation_name: str | None) -> Measure | None:
    """The figures of the operation to run, or None when the document names none
    (validation then says why). Raises RecursionError for absurdly nested input."""
    operation = operation_of(document, operation_name)
    if operation is None:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    memo: dict[str, _Figures] = {}
    work = 0

    def of_fragment(name: str) -> _Figures:
        found = memo.get(name)
        if found is not None:
            return found
        memo[name] = _Figures()  # a cycle counts nothing here; validation refuses it
        fragment = fragments.get(name)
        figures = of_set(fragment.selection_set) if fragment is not None else _Figures()
        memo[name] = figures
        return figures

    def of_set(selection_set: SelectionSetNode) -> _Figures:
        nonlocal work
        work += 1
        fields = depth = top = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                below = of_set(selection.selection_set) if selection.selection_set else _Figures()
                fields += 1 + below.fields
                top += 1
                # Introspection (GraphiQL's schema query nests ``ofType`` deeply) is
                # bounded by the field count, not the depth.
                if not selection.name.value.startswith("__"):
                    depth = max(depth, below.depth + 1)
                continue
            if isinstance(selection, InlineFragmentNode):
                inner = of_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                inner = of_fragment(selection.name.value)
            else:  # pragma: no cover - the parser makes no other selection
                continue
            fields += inner.fields
            top += inner.top
            depth = max(depth, inner.depth)
        return _Figures(fields, depth, top)

    figures = of_set(operation.selection_set)
    return Measure(figures.fields, figures.depth, figures.top, work)


def root_names(document: DocumentNode, operation_name: str | None) -> set[str]:
    """The names of the fields the operation may run at its root, whatever the directives
    say (a superset), each fragment read once; empty when no operation is found."""
    operation = operation_of(document, operation_name)
    if operation is None:
        return set()
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    names: set[str] = set()
    pending = [operation.selection_set]
    seen: set[str] = set()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    pending.append(fragments[name].selection_set)
    return names


@dataclass(frozen=True, slots=True)
class Visit:
    """One field of the answer: where it answers, what it is, and its coerced arguments."""

    path: tuple[str, ...]  # response keys from the root; list indices are implicit
    parent: str  # the GraphQL type the field belongs to
    name: str
    nodes: tuple[FieldNode, ...]  # every selection merged into this response key
    arguments: Mapping[str, Any]  # as the resolver will receive them (Python names aside)
    non_null: bool


def walk(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    raw_variables: dict[str, Any] | None,
) -> list[Visit] | list[GraphQLError]:
    """Every field the operation will execute, parents before children, or the
    errors graphql-core will answer with instead (variables that do not coerce)."""
    built = Executor.build(
        schema, document, raw_variable_values=raw_variables, operation_name=operation_name
    )
    if isinstance(built, list):
        return built
    root = schema.get_root_type(built.operation.operation)
    if root is None:
        return []
    try:
        collected = collect_fields(
            schema, built.fragments, built.variable_values, root, built.operation
        )
        visits: list[Visit] = []
        pending: list[tuple[GraphQLObjectType, tuple[str, ...], Any]] = [
            (root, (), collected.grouped_field_set)
        ]
        while pending:
            parent, path, grouped = pending.pop()
            for key, details in grouped.items():
                first = details[0]
                name = first.node.name.value
                definition = parent.fields.get(name)
                nodes = tuple(d.node for d in details)
                if definition is None:  # __typename, __schema, __type
                    visits.append(Visit((*path, key), parent.name, name, nodes, {}, False))
                    continue
                arguments = (
                    get_argument_values(
                        definition,
                        first.node,
                        built.variable_values,
                        first.fragment_variable_values,
                    )
                    if definition.args
                    else {}
                )
                visits.append(
                    Visit(
                        (*path, key),
                        parent.name,
                        name,
                        nodes,
                        arguments,
                        isinstance(definition.type, GraphQLNonNull),
                    )
                )
                named = get_named_type(definition.type)
                if isinstance(named, GraphQLObjectType) and any(n.selection_set for n in nodes):
                    below = collect_subfields(
                        schema,
                        built.fragments,
                        built.variable_values,
                        built.operation,
                        named,
                        details,
                    )
                    pending.append((named, (*path, key), below.grouped_field_set))
    except GraphQLError as error:  # an argument that does not coerce
        return [error]
    return visits
