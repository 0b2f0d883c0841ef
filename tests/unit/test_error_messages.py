"""graphql-core's coercion messages quote the failing value; the hub does not repeat a
long number (a NIK, a card, a phone) back in them."""

from __future__ import annotations

from graphql import build_schema, parse
from graphql.execution.values import get_variable_values

from schema.execution.errors import client_error, without_long_numbers

NIK = "3671042602810001"


def test_a_nik_in_a_variable_that_does_not_coerce_is_not_repeated() -> None:
    schema = build_schema("type Query { a(x: Int, y: [Int!]): Int }")
    operation = parse("query Q($v: Int, $w: [Int!]) { a(x: $v, y: $w) }").definitions[0]
    errors = get_variable_values(
        schema,
        operation.variable_definitions,  # type: ignore[attr-defined]
        {"v": NIK, "w": [1, {"nik": f"{NIK[:4]}-{NIK[4:10]}-{NIK[10:]}"}]},
    )
    assert isinstance(errors, list) and len(errors) == 2
    shown = [client_error(error, "r1") for error in errors]
    for error in shown:
        assert error.extensions == {"code": "BAD_USER_INPUT"}
        assert NIK not in error.message and NIK[4:10] not in error.message
        assert "<digits>" in error.message and "Int cannot represent" in error.message


def test_short_numbers_stay() -> None:
    assert without_long_numbers("line 12, column 345: 99999 items") == (
        "line 12, column 345: 99999 items"
    )
    assert without_long_numbers("phone 0812 3456 7890") == "phone <digits>"
