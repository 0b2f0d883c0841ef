"""Completing the federation's objects along a compiled operation, as graphql-core would.

The rules are graphql-core 3.3's ``complete_value``, written out for the three kinds of
type the hub's own objects have (non-null, list, leaf or object): an Exception found as
a value is that field's error; a null where the type is non-null is an error that nulls
the nearest nullable parent; each error is located with graphql-core's own
``located_error`` and kept in its ``CollectedErrors`` (which drops errors below a
position already nulled). Leaves are coerced by their own GraphQL type. Only the
per-field machinery is skipped: no resolve info, no resolver call per field (a plain
field's value is read by the very function strawberry gave graphql-core).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    Undefined,
    located_error,
)
from graphql.execution.executor import CollectedErrors
from graphql.pyutils import Path, inspect, is_iterable

from schema.execution.compiled.plan import Field, Level


class Walk:
    """One operation's completion: its collected errors."""

    def __init__(self) -> None:
        self.errors = CollectedErrors()

    def level(self, level: Level, source: Any, path: Path | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        type_name = level.type.name
        for entry in level.fields:
            if entry.resolve is None:  # __typename
                out[entry.key] = type_name
                continue
            field_path = Path(path, entry.key, type_name)
            try:
                value = entry.resolve(source, None)
                out[entry.key] = self.complete(entry, entry.type, field_path, value)
            except Exception as raw:
                out[entry.key] = self.failed(entry, entry.type, field_path, raw)
        return out

    def failed(self, entry: Field, type_: GraphQLOutputType, path: Path, raw: Exception) -> Any:
        """graphql-core's handle_field_error: located, raised on through a non-null type."""
        error = located_error(raw, entry.nodes, path.as_list())
        if isinstance(type_, GraphQLNonNull):
            raise error
        self.errors.add(error, path)
        return None

    def complete(self, entry: Field, type_: GraphQLOutputType, path: Path, value: Any) -> Any:
        if isinstance(value, Exception):
            raise value
        if isinstance(type_, GraphQLNonNull):
            completed = self.complete(entry, type_.of_type, path, value)
            if completed is None:
                raise TypeError(
                    f"Cannot return null for non-nullable field {entry.parent}.{entry.name}."
                )
            return completed
        if value is None or value is Undefined:
            return None
        if isinstance(type_, GraphQLList):
            if not is_iterable(value):
                raise GraphQLError(
                    "Expected Iterable, but did not find one for field"
                    f" '{entry.parent}.{entry.name}'."
                )
            item_type = type_.of_type
            items = []
            for index, item in enumerate(value):
                item_path = path.add_key(index, None)
                try:
                    items.append(self.complete(entry, item_type, item_path, item))
                except Exception as raw:
                    items.append(self.failed(entry, item_type, item_path, raw))
            return items
        if entry.below is not None:
            return self.level(entry.below, value, path)
        coerced = type_.coerce_output_value(value)  # type: ignore[union-attr]
        if coerced is Undefined or coerced is None:
            raise TypeError(
                f"Expected `{inspect(type_)}.coerce_output_value("
                f"{inspect(value)})` to return non-nullable value, returned: {inspect(coerced)}"
            )
        return coerced
