"""GraphQL operations generated from the hub's own schema, with their variables.

hypothesis-graphql writes every argument inline; half the time the fuzz lifts them
into variables (``$v0: NIK!``) sent as JSON, where coercion and the access decision
read them from a different place, and sometimes swaps a variable's value for any
JSON at all. Subscriptions are generated the same way, from a schema whose query root
is the hub's subscription root.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date, timedelta
from functools import cache
from typing import Any

import graphql
import hypothesis_graphql as hg
from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLScalarType,
    GraphQLSchema,
    NameNode,
    ObjectFieldNode,
    OperationDefinitionNode,
    OperationType,
    TypeInfo,
    TypeInfoVisitor,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse_type,
    print_ast,
    value_from_ast_untyped,
    visit,
)
from hypothesis import strategies as st
from hypothesis_graphql import nodes

from schema.build import build_schema
from tests.fuzz.hostile import json_values

BUILT_IN = frozenset({"Int", "Float", "String", "ID", "Boolean"})


@cache
def hub_schema() -> GraphQLSchema:
    """The schema the hub serves: graphql-core's object inside strawberry's."""
    schema: GraphQLSchema = build_schema()._schema
    return schema


@cache
def subscription_schema() -> GraphQLSchema:
    """The hub's subscription root as a query root, for hypothesis-graphql to write."""
    schema = hub_schema()
    assert schema.subscription_type is not None
    return GraphQLSchema(query=schema.subscription_type, types=list(schema.type_map.values()))


def scalars(niks: list[str]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Values for the hub's own scalars: real NIKs of the test city (so data is read,
    logged and charged), NIKs written with separators, and near misses and garbage."""
    nik_text = st.one_of(
        st.sampled_from(niks),
        st.sampled_from(niks).map(lambda n: f"{n[:4]} {n[4:8]}.{n[8:]}"),
        st.from_regex(r"\A[0-9]{16}\Z"),
        st.from_regex(r"\A[0-9]{0,20}\Z"),
        st.text(max_size=30),
    )
    day = st.dates(date.today() - timedelta(days=30), date.today() + timedelta(days=60))
    entity = st.fixed_dictionaries(
        {"__typename": st.sampled_from(["Citizen", "Family", "Query", ""])},
        optional={"nik": nik_text, "familyCardNumber": st.text(max_size=20)},
    )
    # Any other scalar (the federation's own, or one added later): text of any kind.
    others = {
        name: st.text(max_size=30).map(nodes.String)
        for name, type_ in hub_schema().type_map.items()
        if isinstance(type_, GraphQLScalarType) and name not in BUILT_IN
    }
    return {
        **others,
        "_Any": st.one_of(entity.map(_object), st.text(max_size=20).map(nodes.String)),
        "NIK": nik_text.map(nodes.String),
        "Date": st.one_of(day.map(str), st.text(max_size=12)).map(nodes.String),
        "DateTime": st.one_of(st.datetimes().map(str), st.text(max_size=12)).map(nodes.String),
        "Time": st.one_of(st.times().map(str), st.text(max_size=8)).map(nodes.String),
        "Decimal": st.one_of(st.decimals(allow_nan=False).map(str), st.text(max_size=8)).map(
            nodes.String
        ),
    }


def _object(value: dict[str, str]) -> graphql.ObjectValueNode:
    return nodes.Object(
        [ObjectFieldNode(name=NameNode(value=k), value=nodes.String(v)) for k, v in value.items()]
    )


def lift_arguments(
    document: DocumentNode, schema: GraphQLSchema
) -> tuple[DocumentNode, dict[str, Any]]:
    """The document with each argument whose type is known moved into a variable."""
    type_info = TypeInfo(schema)
    definitions: list[VariableDefinitionNode] = []
    variables: dict[str, Any] = {}
    names = (f"v{i}" for i in itertools.count())

    class Lift(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> ArgumentNode | None:
            argument = type_info.get_argument()
            if argument is None or isinstance(node.value, VariableNode):
                return None
            name = next(names)
            definitions.append(
                VariableDefinitionNode(
                    variable=VariableNode(name=NameNode(value=name)),
                    type=parse_type(str(argument.type)),
                )
            )
            variables[name] = value_from_ast_untyped(node.value)
            return ArgumentNode(name=node.name, value=VariableNode(name=NameNode(value=name)))

    lifted = visit(document, TypeInfoVisitor(type_info, Lift()))
    assert isinstance(lifted, DocumentNode)
    return _operations_replaced(lifted, variable_definitions=tuple(definitions)), variables


def as_subscription(document: DocumentNode) -> DocumentNode:
    """The same selections as a subscription."""
    return _operations_replaced(document, operation=OperationType.SUBSCRIPTION)


def _operations_replaced(document: DocumentNode, **changes: Any) -> DocumentNode:
    """A copy of ``document`` whose operations have ``changes`` (nodes are frozen)."""
    return DocumentNode(
        definitions=tuple(
            dataclasses.replace(d, **changes) if isinstance(d, OperationDefinitionNode) else d
            for d in document.definitions
        )
    )


@st.composite
def operations(
    draw: st.DrawFn, niks: list[str], kind: str = "query", negative: bool = False
) -> dict[str, Any]:
    """A request body ({"query", "variables"}) of ``kind``: query, mutation or subscription."""
    schema = subscription_schema() if kind == "subscription" else hub_schema()
    document = draw(_documents(kind, negative, tuple(niks)))
    variables: dict[str, Any] = {}
    if draw(st.booleans()):
        document, variables = lift_arguments(document, schema)
        for name in list(variables):
            if draw(st.integers(0, 9)) == 0:  # a value of any type in place of the right one
                variables[name] = draw(json_values(5))
    if kind == "subscription":
        document = as_subscription(document)
    body: dict[str, Any] = {"query": print_ast(document)}
    if variables or draw(st.booleans()):
        body["variables"] = variables
    return body


@cache
def _documents(kind: str, negative: bool, niks: tuple[str, ...]) -> st.SearchStrategy[DocumentNode]:
    # Built once per kind: hypothesis-graphql plans its sampling from the whole schema.
    schema = subscription_schema() if kind == "subscription" else hub_schema()
    make = hg.mutations if kind == "mutation" else hg.queries
    mode = hg.Mode.NEGATIVE if negative else hg.Mode.POSITIVE
    return make(schema, custom_scalars=scalars(list(niks)), print_ast=_keep, mode=mode)


def _keep(document: DocumentNode) -> DocumentNode:
    return document
