"""An operation compiled to the fields each level answers, for the compiled path.

The fields are collected as graphql-core collects them (response keys in the order
they first appear, fragments and inline fragments expanded, ``@include``/``@skip``
decided, a key asked several times merged), once per document and variables. What
the compiled path does not cover is declined (None), and graphql-core answers:
another root field, a field with arguments or a resolver that needs more than its
object, an abstract type, a type that checks its values (``is_type_of``), any other
directive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    is_abstract_type,
    is_leaf_type,
)

from schema.selection import included

#: The root fields the compiled path answers: each loads citizens through the federation.
ROOTS = frozenset({"citizen", "citizens", "me"})


class Declined(Exception):  # not an error: the operation goes to graphql-core
    """Raised while compiling what the compiled path does not cover."""


@dataclass(slots=True)
class Field:
    """One response key of an object: how to read it and how to complete its value."""

    key: str
    name: str
    nodes: list[FieldNode]
    type: GraphQLOutputType
    resolve: Callable[..., Any] | None  # None: __typename
    parent: GraphQLObjectType
    below: Level | None = None  # the sub-selection, for object types


@dataclass(slots=True)
class Level:
    """The fields one object type answers, in response order."""

    type: GraphQLObjectType
    fields: list[Field] = field(default_factory=list)


@dataclass(slots=True)
class Compiled:
    """The operation's one root field and the levels below it."""

    root: Field
    fragments: Mapping[str, FragmentDefinitionNode]


def compile_operation(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> Compiled | None:
    """The compiled operation, or None when graphql-core must answer it."""
    if operation.operation is not OperationType.QUERY or operation.directives:
        return None
    query = schema.query_type
    if query is None:
        return None
    try:
        selections = [operation.selection_set.selections]
        grouped = _collect(schema, query, selections, fragments, variables)
        if len(grouped) != 1:
            return None
        ((key, nodes),) = grouped.items()
        name = nodes[0].name.value
        if name not in ROOTS:
            return None
        definition = query.fields[name]
        root = Field(key, name, nodes, definition.type, definition.resolve, query)
        root.below = _level(schema, _named_object(definition.type), nodes, fragments, variables)
    except Declined:
        return None
    return Compiled(root, fragments)


def _level(
    schema: GraphQLSchema,
    object_type: GraphQLObjectType,
    nodes: list[FieldNode],
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> Level:
    if object_type.is_type_of is not None:
        raise Declined
    selections = [n.selection_set.selections for n in nodes if n.selection_set is not None]
    level = Level(object_type)
    for key, group in _collect(schema, object_type, selections, fragments, variables).items():
        name = group[0].name.value
        if name == "__typename":
            level.fields.append(Field(key, name, group, _TYPENAME, None, object_type))
            continue
        definition = object_type.fields.get(name)
        if definition is None or definition.args or any(n.arguments for n in group):
            raise Declined
        entry = Field(key, name, group, definition.type, _reader(definition), object_type)
        named = _unwrapped(definition.type)
        if isinstance(named, GraphQLObjectType):
            entry.below = _level(schema, named, group, fragments, variables)
        elif not is_leaf_type(named):
            raise Declined
        level.fields.append(entry)
    return level


def _reader(definition: GraphQLField) -> Callable[..., Any]:
    """How graphql-core would get the field's value from its object, without resolve info.

    A plain field: the very function strawberry gave graphql-core. A method of the type
    that takes nothing but ``self`` (``golongan``, ``service``): the method itself, as
    strawberry calls it. Anything else (info, arguments, async, extensions,
    permissions) is declined.
    """
    if getattr(definition.resolve, "_is_default", False):
        return definition.resolve  # type: ignore[return-value]
    field = definition.extensions.get("strawberry-definition")
    resolver = getattr(field, "base_resolver", None)
    if (
        resolver is None
        or resolver.is_async
        or field.extensions  # type: ignore[union-attr]
        or field.permission_classes  # type: ignore[union-attr]
        or [p.name for p in resolver.signature.parameters.values()] != ["self"]
    ):
        raise Declined  # a resolver of its own: graphql-core calls it
    method = resolver.wrapped_func
    return lambda source, _info: method(source)


def _collect(
    schema: GraphQLSchema,
    object_type: GraphQLObjectType,
    selection_sets: Iterable[Iterable[SelectionNode]],
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> dict[str, list[FieldNode]]:
    grouped: dict[str, list[FieldNode]] = {}
    visited: set[str] = set()

    def visit(selections: Iterable[SelectionNode]) -> None:
        for selection in selections:
            if any(d.name.value not in ("include", "skip") for d in selection.directives or ()):
                raise Declined
            if not included(selection, variables):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if _applies(schema, object_type, selection.type_condition):
                    visit(selection.selection_set.selections)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if _applies(schema, object_type, fragment.type_condition):
                    visit(fragment.selection_set.selections)

    for selections in selection_sets:
        visit(selections)
    return grouped


def _applies(schema: GraphQLSchema, object_type: GraphQLObjectType, condition: Any) -> bool:
    if condition is None or condition.name.value == object_type.name:
        return True
    if is_abstract_type(schema.get_type(condition.name.value)):
        raise Declined  # an interface or a union: graphql-core decides
    return False


def _unwrapped(type_: GraphQLOutputType) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _named_object(type_: GraphQLOutputType) -> GraphQLObjectType:
    named = _unwrapped(type_)
    if not isinstance(named, GraphQLObjectType):
        raise Declined
    return named


_TYPENAME: GraphQLOutputType = GraphQLNonNull(GraphQLString)
