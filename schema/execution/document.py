"""One operation, seen as graphql-core will execute it, in passes linear in its size.

:func:`measure` runs right after parsing, before validation and before anything
else looks at the document: it counts, over every operation and fragment of the
document (validation reads them all, run or not), the field selections with
every fragment expanded, the nesting depth and the root fields. Each fragment is
measured once and its figures reused wherever it is spread, so a document whose
fragments spread each other twice per level (work doubling per level when
expanded naively) costs one visit per node; the figures it computes may be
astronomically large, and the operation is then refused before any pass expands
it. The same walk counts the aliases and, given a :class:`~schema.execution.cost.CostModel`,
adds up the operation's cost (the source reads it may make), each field weighed in the
type it is selected on: a fragment is read in its type condition, so its figures are the
same wherever it is spread.

:func:`walk` runs once an operation is within those limits. It asks graphql-core
itself for the values execution will use: ``Executor.build`` coerces the
variables (defaults of variables the request left out included), graphql-core's
``collect_fields`` applies ``@include``/``@skip``, fragments and type conditions
and merges aliases exactly as execution does, and ``get_argument_values`` coerces
each argument (a bare string given for a list becomes a one-item list). Its
visits are bounded by :func:`measure`'s field count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
)
from graphql.execution import Executor, get_argument_values
from graphql.execution.collect_fields import collect_fields, collect_subfields

from schema.execution.cost import CostModel, Scope

# __typename is no introspection; _service { sdl } is the schema as a Federation gateway
# reads it, so it is switched off with the rest.
_INTROSPECTION = frozenset({"__schema", "__type", "_service"})


@dataclass(frozen=True, slots=True)
class Measure:
    """Figures of a document with its fragments expanded (upper bounds): every operation
    and fragment in it counts, the selected one or not, since validation reads them all."""

    fields: int  # field selections: bounds the fields the answer can have per object
    depth: int  # deepest nesting of fields; introspection fields (``__schema``) do not count
    root_fields: int  # the most root fields one operation selects
    work: int  # selection sets read to find these figures: at most those in the document
    aliases: int = 0  # field selections under an alias
    cost: int = 0  # source reads it may make (schema.execution.cost); 0 without a model
    introspection: int = 0  # __schema, __type and _service selections (refused when off)
    schema_size: int = 0  # values introspection may answer with (schema.execution.cost)
    schemas: int = 0  # the most __schema selections one operation makes
    operations: int = 0  # operations in the document


@dataclass(frozen=True, slots=True)
class _Figures:
    fields: int = 0
    depth: int = 0
    top: int = 0
    aliases: int = 0
    cost: int = 0
    introspection: int = 0
    schema_size: int = 0
    schemas: int = 0


def operation_of(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation graphql-core will run (None where it is ambiguous or missing)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def measure(document: DocumentNode, costs: CostModel | None = None) -> Measure | None:
    """The figures of the whole document, or None when it holds no operation (validation
    then says why). Every operation counts, not only the one to run: validation reads
    them all, so ``query A { __typename } query B { ...600 fields... }`` run as A is
    measured with B's fields; a fragment no operation spreads counts once.
    Raises RecursionError for absurdly nested input."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
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
        figures = _Figures()
        if fragment is not None:
            scope = costs.scope(fragment.type_condition.name.value) if costs else None
            figures = of_set(fragment.selection_set, scope)
        memo[name] = figures
        return figures

    def of_set(selection_set: SelectionSetNode, scope: Scope | None) -> _Figures:
        nonlocal work
        work += 1
        fields = depth = top = aliases = cost = introspection = size = schemas = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                weight = costs.weigh(scope, name) if costs else None
                below = (
                    of_set(selection.selection_set, weight.below if weight else None)
                    if selection.selection_set
                    else _Figures()
                )
                fields += 1 + below.fields
                top += 1
                aliases += below.aliases + (selection.alias is not None)
                introspection += below.introspection + (name in _INTROSPECTION)
                schemas += below.schemas + (name == "__schema")
                size += below.schema_size
                cost += below.cost
                if weight is not None and weight.introspective:
                    size += (weight.multiplier - 1) * below.schema_size + weight.multiplier
                    cost += (weight.multiplier - 1) * below.cost
                elif weight is not None:
                    cost += weight.own + weight.multiplier * weight.each
                    cost += (weight.multiplier - 1) * below.cost
                # Introspection (GraphiQL's schema query nests ``ofType`` deeply) is
                # bounded by the field count and its own figure, not the depth.
                if not name.startswith("__"):
                    depth = max(depth, below.depth + 1)
                continue
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner_scope = costs.scope(condition.name.value) if costs and condition else scope
                inner = of_set(selection.selection_set, inner_scope)
            elif isinstance(selection, FragmentSpreadNode):
                inner = of_fragment(selection.name.value)
            else:  # pragma: no cover - the parser makes no other selection
                continue
            fields += inner.fields
            top += inner.top
            depth = max(depth, inner.depth)
            aliases += inner.aliases
            cost += inner.cost
            introspection += inner.introspection
            size += inner.schema_size
            schemas += inner.schemas
        return _Figures(fields, depth, top, aliases, cost, introspection, size, schemas)

    each = [
        of_set(o.selection_set, costs.root.get(o.operation.value) if costs else None)
        for o in operations
    ]
    # Fragments no operation spreads are still validated: each counts once.
    each += [of_fragment(name) for name in fragments if name not in memo]
    return Measure(
        fields=sum(f.fields for f in each),
        depth=max(f.depth for f in each),
        root_fields=max(f.top for f in each[: len(operations)]),
        work=work,
        aliases=sum(f.aliases for f in each),
        cost=sum(f.cost for f in each),
        introspection=sum(f.introspection for f in each),
        schema_size=sum(f.schema_size for f in each),
        schemas=max(f.schemas for f in each),
        operations=len(operations),
    )


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


ShapeKey = tuple[int, str | None, tuple[tuple[Any, ...], ...]]

# The fields an operation executes, by document (kept alive beside them, so its id stays
# its own), operation name and the variables @include/@skip may read: the walk below
# depends on nothing else, and a known document skips it. Arguments are coerced afresh
# on every operation, from its own variables.
_SHAPES: LRUCache[ShapeKey, Any] = LRUCache(256)


@dataclass(frozen=True, slots=True)
class _Place:
    """A field of the walk, its arguments still to be coerced."""

    path: tuple[str, ...]
    parent: str
    name: str
    nodes: tuple[FieldNode, ...]
    definition: GraphQLField | None  # None: __typename, __schema, __type
    fragment_variables: Any


def walk(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    raw_variables: dict[str, Any] | None,
) -> list[Visit] | list[GraphQLError]:
    """Every field the operation will execute, parents before children, or the
    errors graphql-core will answer with instead (variables that do not coerce)."""
    return walk_coerced(schema, document, operation_name, raw_variables)[0]


def walk_coerced(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    raw_variables: dict[str, Any] | None,
    *,
    hide_suggestions: bool = False,
) -> tuple[list[Visit] | list[GraphQLError], ShapeKey | None, Any]:
    """:func:`walk`; the key of the fields it visited: two operations with the same
    key (and the same document object) visit the same fields, with the same nodes; and
    the variables as graphql-core coerced them (None where they do not coerce): the
    compiled path reads them instead of coercing them again. ``hide_suggestions``:
    variables that do not coerce are told so without "Did you mean" (where
    introspection is off)."""
    built = Executor.build(
        schema,
        document,
        raw_variable_values=raw_variables,
        operation_name=operation_name,
        hide_suggestions=hide_suggestions,
    )
    if isinstance(built, list):
        return built, None, None
    variables = built.variable_values
    key = (id(document), operation_name, shape_key(variables.coerced))
    try:
        cached = _SHAPES.get(key)
        if cached is not None and cached[0] is document and cached[1] is schema:
            places: list[_Place] = cached[2]
        else:
            places = _places(schema, built)
            _SHAPES[key] = (document, schema, places)
        visits: list[Visit] = []
        for place in places:
            definition = place.definition
            arguments = (
                get_argument_values(definition, place.nodes[0], variables, place.fragment_variables)
                if definition is not None and definition.args
                else {}
            )
            non_null = definition is not None and isinstance(definition.type, GraphQLNonNull)
            visits.append(
                Visit(place.path, place.parent, place.name, place.nodes, arguments, non_null)
            )
    except GraphQLError as error:  # an argument that does not coerce
        return [error], None, None
    return visits, key, variables


def shape_key(variables: Mapping[str, Any]) -> tuple[tuple[Any, ...], ...]:
    """What of the coerced variables can change which fields execute: the names given,
    and the value of each boolean or null one (``@include``/``@skip`` read only those)."""
    return tuple(
        (name, value) if value is None or isinstance(value, bool) else (name,)
        for name, value in sorted(variables.items())
    )


def _places(schema: GraphQLSchema, built: Executor[Any]) -> list[_Place]:
    """The walk itself: graphql-core's own field collection, level by level."""
    root = schema.get_root_type(built.operation.operation)
    if root is None:
        return []
    collected = collect_fields(
        schema, built.fragments, built.variable_values, root, built.operation
    )
    places: list[_Place] = []
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
            places.append(
                _Place(
                    (*path, key),
                    parent.name,
                    name,
                    nodes,
                    definition,
                    first.fragment_variable_values,
                )
            )
            if definition is None or not any(n.selection_set for n in nodes):
                continue
            # A union or an interface (``_entities``' ``_Entity``) is walked as each
            # object type it may be, so no field below it escapes the decision.
            for object_type in _object_types(schema, get_named_type(definition.type)):
                below = collect_subfields(
                    schema,
                    built.fragments,
                    built.variable_values,
                    built.operation,
                    object_type,
                    details,
                )
                pending.append((object_type, (*path, key), below.grouped_field_set))
    return places


def _object_types(schema: GraphQLSchema, named: Any) -> Sequence[GraphQLObjectType]:
    """The object types a field of type ``named`` may answer with."""
    if isinstance(named, GraphQLObjectType):
        return (named,)
    if is_abstract_type(named):
        return schema.get_possible_types(named)
    return ()
