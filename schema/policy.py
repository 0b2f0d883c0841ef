"""Access decided once per operation, before execution.

:func:`walk` goes through the operation as graphql-core will execute it —
fragments, inline fragments, aliases, ``@include``/``@skip`` with the request's
variables — and :func:`decide` says, per field, whether this viewer may see it.
Denied fields are pruned from the document (so their sources are not even
queried) and, after execution, answered as null with a FORBIDDEN error naming the
missing scope (:meth:`Decision.apply`). No permission check runs per field.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
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
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    visit,
)
from graphql.language import Visitor
from graphql.language.visitor import REMOVE

from identity.nik import NIK, InvalidNIK
from schema.scopes import ANONYMOUS_ROOT_FIELDS, CHILD_FIELDS, FIELD_SCOPES
from schema.selection import argument, included

PRUNED = "__pruned"


class Relation(enum.Enum):
    """How a citizen in the answer relates to a citizen viewer."""

    SELF = "self"
    CHILD = "child"  # on the viewer's family card, and the viewer is a parent
    FAMILY = "family"  # on the viewer's family card otherwise
    STRANGER = "stranger"


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who asks, after authentication and purpose: the effective scopes decide."""

    scopes: frozenset[str]
    client_id: str | None = None
    subject: str | None = None
    nik: str | None = None  # citizen tokens
    purpose: str | None = None

    @property
    def is_citizen(self) -> bool:
        return self.nik is not None

    def may(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(frozen=True, slots=True)
class Visit:
    """One field of the operation: where it answers and what it is."""

    path: tuple[str, ...]  # response keys from the root; list indices are implicit
    parent: str  # the GraphQL type the field belongs to
    name: str
    node: FieldNode
    non_null: bool


@dataclass(slots=True)
class Denial:
    path: tuple[str, ...]
    node: FieldNode
    message: str
    extensions: dict[str, Any]
    non_null: bool = False


@dataclass(slots=True)
class Decision:
    """The denials for one operation, and the document to execute instead."""

    document: DocumentNode
    denials: list[Denial] = field(default_factory=list)

    def apply(
        self, data: dict[str, Any] | None, errors: list[GraphQLError]
    ) -> dict[str, Any] | None:
        """Put a null and a FORBIDDEN error wherever a denied field would have answered."""
        if data is None:
            return None
        for denial in self.denials:
            if len(denial.path) == 1 and denial.non_null:
                data = None  # a non-null root field cannot be null: the whole data goes
            if data is None:
                errors.append(_error(denial, list(denial.path)))
                continue
            for path in _null_at(data, denial.path, []):
                errors.append(_error(denial, path))
        if data is not None:
            _drop_pruned(data)
        return data


def _error(denial: Denial, path: list[str | int]) -> GraphQLError:
    return GraphQLError(denial.message, path=path, extensions=denial.extensions)


def _null_at(node: Any, keys: tuple[str, ...], path: list[str | int]) -> Iterator[list[str | int]]:
    if node is None:
        return
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _null_at(item, keys, [*path, i])
        return
    if len(keys) == 1:
        node[keys[0]] = None
        yield [*path, keys[0]]
        return
    yield from _null_at(node.get(keys[0]), keys[1:], [*path, keys[0]])


def _drop_pruned(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _drop_pruned(item)
    elif isinstance(node, dict):
        node.pop(PRUNED, None)
        for value in node.values():
            _drop_pruned(value)


def operation_of(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def walk(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any],
) -> Iterator[Visit]:
    """Every field the operation would execute, fragments flattened, skipped ones left out."""
    operation = operation_of(document, operation_name)
    if operation is None:
        return
    root = schema.get_root_type(operation.operation)
    if root is None:
        return
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    yield from _walk_set(schema, root, operation.selection_set, (), fragments, variables, set())


def _walk_set(
    schema: GraphQLSchema,
    parent: GraphQLObjectType,
    selection_set: SelectionSetNode,
    path: tuple[str, ...],
    fragments: dict[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    visiting: set[str],
) -> Iterator[Visit]:
    for selection in selection_set.selections:
        if not included(selection, variables):
            continue
        if isinstance(selection, FieldNode):
            name = selection.name.value
            key = selection.alias.value if selection.alias else name
            definition = parent.fields.get(name)
            if definition is None:  # __typename, or a field validation will refuse
                yield Visit((*path, key), parent.name, name, selection, False)
                continue
            yield Visit(
                (*path, key),
                parent.name,
                name,
                selection,
                isinstance(definition.type, GraphQLNonNull),
            )
            named = get_named_type(definition.type)
            if selection.selection_set is not None and isinstance(named, GraphQLObjectType):
                yield from _walk_set(
                    schema,
                    named,
                    selection.selection_set,
                    (*path, key),
                    fragments,
                    variables,
                    visiting,
                )
        elif isinstance(selection, InlineFragmentNode):
            yield from _walk_set(
                schema, parent, selection.selection_set, path, fragments, variables, visiting
            )
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in visiting:
                continue
            yield from _walk_set(
                schema,
                parent,
                fragment.selection_set,
                path,
                fragments,
                variables,
                visiting | {name},
            )


def clean_nik(value: Any) -> str | None:
    """The NIK an argument names, or None where it is not one (validation will say why)."""
    if not isinstance(value, str):
        return None
    try:
        return NIK.parse(value).value
    except InvalidNIK:
        return None


def root_niks(visits: list[Visit], variables: Mapping[str, Any]) -> set[str]:
    """The NIKs the operation names at its root (citizen and citizens arguments)."""
    found: set[str] = set()
    for v in visits:
        if len(v.path) != 1:
            continue
        if v.name == "citizen":
            nik = clean_nik(argument(v.node, "nik", variables))
            if nik:
                found.add(nik)
        elif v.name == "citizens":
            values = argument(v.node, "niks", variables)
            for value in values if isinstance(values, list) else ():
                nik = clean_nik(value)
                if nik:
                    found.add(nik)
    return found


def oversized_batch(visits: list[Visit], variables: Mapping[str, Any], limit: int) -> int | None:
    """The size of the first ``citizens`` call past ``limit`` NIKs, if any."""
    for v in visits:
        if len(v.path) == 1 and v.name == "citizens":
            values = argument(v.node, "niks", variables)
            if isinstance(values, list) and len(values) > limit:
                return len(values)
    return None


def decide(
    viewer: Viewer,
    visits: list[Visit],
    document: DocumentNode,
    variables: Mapping[str, Any],
    relations: Mapping[str, Relation],
    own_card: str | None = None,
) -> Decision:
    """What this viewer may see of the operation.

    For a citizen viewer, ``relations`` relates each NIK the operation names to
    them, and ``own_card`` is their family card number.
    """
    denials: list[Denial] = []
    denied_prefixes: list[tuple[str, ...]] = []
    # Root citizens a citizen token may reach only for some fields (its children).
    limited_roots: dict[str, frozenset[str]] = {}
    for visit_ in visits:
        if any(visit_.path[: len(p)] == p for p in denied_prefixes):
            continue
        denial = _root_denial(viewer, visit_, variables, relations, own_card, limited_roots)
        if denial is None:
            denial = _field_denial(viewer, visit_, limited_roots)
        if denial is not None:
            denials.append(denial)
            denied_prefixes.append(visit_.path)
    if not denials:
        return Decision(document)
    return Decision(_prune(document, {id(d.node) for d in denials}), denials)


def _forbidden(visit_: Visit, message: str, **extensions: Any) -> Denial:
    return Denial(
        visit_.path,
        visit_.node,
        message,
        {"code": "FORBIDDEN", **extensions},
        visit_.non_null,
    )


def _root_denial(
    viewer: Viewer,
    visit_: Visit,
    variables: Mapping[str, Any],
    relations: Mapping[str, Relation],
    own_card: str | None,
    limited_roots: dict[str, frozenset[str]],
) -> Denial | None:
    if len(visit_.path) != 1 or not viewer.is_citizen:
        return None
    if visit_.name in ("citizen", "citizens"):
        values = (
            [argument(visit_.node, "nik", variables)]
            if visit_.name == "citizen"
            else argument(visit_.node, "niks", variables)
        )
        niks = [clean_nik(v) for v in values] if isinstance(values, list) else []
        kinds = {relations.get(n or "", Relation.STRANGER) for n in niks}
        if kinds - {Relation.SELF, Relation.CHILD}:
            return _forbidden(
                visit_,
                "a citizen token sees its own data and its children's school admissions only",
                reason="not_own_data",
            )
        if Relation.CHILD in kinds:
            limited_roots[visit_.path[0]] = CHILD_FIELDS
        return None
    if visit_.name == "resolveIdentity":
        return _forbidden(visit_, "a citizen token cannot resolve identities", reason="citizen")
    if visit_.name == "family":
        card = argument(visit_.node, "familyCardNumber", variables)
        if not isinstance(card, str) or own_card is None or "".join(card.split()) != own_card:
            return _forbidden(
                visit_, "a citizen token sees its own family card only", reason="not_own_data"
            )
    return None


def _field_denial(
    viewer: Viewer, visit_: Visit, limited_roots: dict[str, frozenset[str]]
) -> Denial | None:
    if visit_.parent == "Citizen" and len(visit_.path) == 2:
        allowed = limited_roots.get(visit_.path[0])
        if allowed is not None and visit_.name not in allowed:
            return _forbidden(
                visit_,
                "a citizen token sees only the school admissions of its children",
                reason="not_own_data",
            )
    scope = FIELD_SCOPES.get((visit_.parent, visit_.name))
    if scope is not None and not viewer.may(scope):
        return _forbidden(
            visit_,
            f"{visit_.name} needs the scope {scope}"
            + (f" within the purpose {viewer.purpose}" if viewer.purpose else ""),
            scope=scope,
        )
    return None


def anonymous_may_run(visits: list[Visit]) -> bool:
    """An anonymous caller may read the schema and the public catalogues, nothing else."""
    return all(v.name in ANONYMOUS_ROOT_FIELDS for v in visits if len(v.path) == 1)


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


def _prune(document: DocumentNode, denied: set[int]) -> DocumentNode:
    """A copy of ``document`` without the denied fields (the parsed original is cached)."""
    pruned: DocumentNode = visit(document, _Pruner(denied))
    return pruned
