"""What an operation asks for below a field: fragments, inline fragments and
``@include``/``@skip`` resolved, aliases merged by field name.

Resolvers of a level use this to load everything the level needs at once (one
statement per source) and hand graphql-core plain objects whose fields are
synchronous.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    SelectionNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)


class Plan:
    """The sub-selection of one field (possibly requested several times under aliases)."""

    __slots__ = ("_fields", "_fragments", "_nodes", "_variables")

    def __init__(
        self,
        nodes: Iterable[FieldNode],
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self._nodes = list(nodes)
        self._fragments = fragments
        self._variables = variables
        self._fields: dict[str, list[FieldNode]] | None = None

    @classmethod
    def of(cls, info: Any) -> Plan:
        """The plan of the field being resolved (``info`` is strawberry's Info)."""
        raw = info._raw_info
        # graphql-core 3.3 hands resolvers its VariableValues (coerced values and
        # their sources); the coerced values are what execution runs with.
        variables = getattr(raw.variable_values, "coerced", raw.variable_values)
        return cls(raw.field_nodes, raw.fragments, variables)

    @property
    def fields(self) -> dict[str, list[FieldNode]]:
        if self._fields is None:
            collected: dict[str, list[FieldNode]] = {}
            for node in self._nodes:
                if node.selection_set is not None:
                    self._collect(node.selection_set.selections, collected, set())
            self._fields = collected
        return self._fields

    @classmethod
    def merge(cls, *plans: Plan) -> Plan:
        """One plan for several places that resolve to the same type (a level loaded once)."""
        if not plans:
            raise ValueError("merge needs at least one plan")
        nodes = [n for p in plans for n in p._nodes]
        return cls(nodes, plans[0]._fragments, plans[0]._variables)

    @property
    def selected(self) -> bool:
        """Whether this field is in the operation at all."""
        return bool(self._nodes)

    def wants(self, name: str) -> bool:
        return name in self.fields

    def wants_any(self, names: Iterable[str]) -> bool:
        return any(n in self.fields for n in names)

    def arguments(self, field: str, name: str) -> list[Any]:
        """The values given to argument ``name`` of ``field`` wherever it is selected
        (literals and variables; ``None`` where it is left to its default)."""
        return [argument(node, name, self._variables) for node in self.fields.get(field, ())]

    def child(self, *path: str) -> Plan:
        """The plan below ``path`` (empty when the path is not selected)."""
        plan = self
        for name in path:
            plan = Plan(plan.fields.get(name, ()), self._fragments, self._variables)
        return plan

    def _collect(
        self,
        selections: Iterable[SelectionNode],
        into: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for selection in selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                into.setdefault(selection.name.value, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                self._collect(selection.selection_set.selections, into, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self._fragments.get(name)
                if fragment is None or name in visited:
                    continue
                visited.add(name)
                self._collect(fragment.selection_set.selections, into, visited)

    def _included(self, node: SelectionNode) -> bool:
        return included(node, self._variables)


def included(node: SelectionNode, variables: Mapping[str, Any]) -> bool:
    """Whether ``@include``/``@skip`` keep ``node`` for these variables.

    Evaluated here rather than with graphql-core's get_directive_values, whose
    variable-values argument changed shape between 3.2 and 3.3.
    """
    for directive in node.directives or ():
        name = directive.name.value
        if name not in ("include", "skip"):
            continue
        arguments = directive.arguments or ()
        condition = next((a.value for a in arguments if a.name.value == "if"), None)
        value = literal(condition, variables) if condition is not None else None
        if (name == "skip" and value is True) or (name == "include" and value is False):
            return False
    return True


def literal(node: ValueNode, variables: Mapping[str, Any]) -> Any:
    """The value of an argument as the client gave it (strings, booleans, lists)."""
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, BooleanValueNode | StringValueNode):
        return node.value
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, ListValueNode):
        return [literal(v, variables) for v in node.values]
    return None


def argument(node: FieldNode, name: str, variables: Mapping[str, Any]) -> Any:
    """The value given to argument ``name`` of the field ``node`` (None when left out)."""
    for arg in node.arguments or ():
        if arg.name.value == name:
            return literal(arg.value, variables)
    return None
