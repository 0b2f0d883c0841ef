"""The cost of a few operations, in source reads, known from the document alone."""

from __future__ import annotations

import pytest
from graphql import GraphQLSchema, parse

from schema.build import build_schema
from schema.execution.cost import CostModel
from schema.execution.document import measure

PRODUCTS = (
    "schoolAdmissions { level } civilServiceApplications { year } employment { nip }"
    " assetsHeld { name } procurementRoles { role tenders { tenderCode } }"
    " districtRequests { number } queueTickets { number }"
)


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema()._schema


def cost(schema: GraphQLSchema, query: str, *, max_citizens: int = 100, family: int = 10) -> int:
    model = CostModel(schema, max_citizens=max_citizens, family_size=family)
    figures = measure(parse(query), model)
    assert figures is not None
    return figures.cost


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # One citizen: its profile read; each product one read more.
        ('{ citizen(nik: "3671014507900001") { nik fullName } }', 1),
        ('{ citizen(nik: "3671014507900001") { employment { nip } } }', 2),
        # Every product: the seven of them, whatever their rows hold (tenders included).
        (f"{{ me {{ nik {PRODUCTS} }} }}", 8),
        # A list weighs its cap: citizens(niks:) by the NIK cap.
        ("query($n: [NIK!]!) { citizens(niks: $n) { fullName employment { nip } } }", 200),
        # A card: its read, the head (a citizen), and ten members' citizens.
        (
            '{ family(familyCardNumber: "3671010101010001") { head { nik }'
            " members { relationship citizen { nik schoolAdmissions { level } } } } }",
            1 + 1 + 10 * (1 + 1),
        ),
        # Catalogues and the schema cost one read, or nothing.
        ("{ serviceCentres { name services { name capacity { date } } } }", 1),
        ("{ __schema { types { name fields { name } } } __typename }", 0),
    ],
)
def test_the_cost_of_an_operation(schema: GraphQLSchema, query: str, expected: int) -> None:
    assert cost(schema, query) == expected


def test_nested_citizens_through_a_family_card_weigh_their_own(schema: GraphQLSchema) -> None:
    harvest = (
        "query($n: [NIK!]!) { citizens(niks: $n) { family { members { citizen {"
        f" {PRODUCTS} }} }} }} }} }}"
    )
    # 100 citizens × (the citizen + its card + 10 members × (a citizen + 7 products)).
    assert cost(schema, harvest) == 100 * (1 + 1 + 10 * (1 + 7))
    assert cost(schema, harvest, max_citizens=10, family=6) == 10 * (1 + 1 + 6 * (1 + 7))


def test_fragments_cost_what_they_hold_wherever_they_are_spread(schema: GraphQLSchema) -> None:
    query = """
    fragment P on Citizen { employment { nip } assetsHeld { name } }
    {
      a: citizen(nik: "3671014507900001") { ...P }
      b: me { ...P family { members { citizen { ...P } } } }
      c: citizen(nik: "3671014507900002") { ... on Citizen { ...P } }
    }
    """
    # a: 1 + 2; b: 1 + 2 + the card 1 + 10 × (1 + 2); c: 1 + 2.
    assert cost(schema, query) == 3 + (1 + 2 + 1 + 30) + 3


def test_aliases_each_cost_their_own_and_are_counted(schema: GraphQLSchema) -> None:
    aliased = " ".join(f'a{i}: citizen(nik: "3671014507900001") {{ nik }}' for i in range(7))
    model = CostModel(schema, max_citizens=100, family_size=10)
    figures = measure(parse(f"{{ {aliased} }}"), model)
    assert figures is not None
    assert (figures.cost, figures.aliases) == (7, 7)


def test_a_fragment_fan_out_is_costed_without_expanding_it(schema: GraphQLSchema) -> None:
    levels = 60
    fragments = [
        f"fragment F{i} on Citizen {{ employment {{ nip }} ...F{i + 1} ...F{i + 1} }}"
        for i in range(1, levels)
    ]
    fragments.append(f"fragment F{levels} on Citizen {{ nik }}")
    query = '{ citizen(nik: "3671014507900001") { ...F1 } }\n' + "\n".join(fragments)
    model = CostModel(schema, max_citizens=100, family_size=10)
    figures = measure(parse(query), model)
    assert figures is not None
    assert figures.cost > 2**58  # astronomically large, found in one visit per fragment
    # One visit per selection set written: two in each fragment but the last, and the
    # operation's two.
    assert figures.work == 2 * (levels - 1) + 1 + 2


def test_introspection_is_counted_but_typename_is_not(schema: GraphQLSchema) -> None:
    model = CostModel(schema, max_citizens=100, family_size=10)
    for query, expected in (
        ("{ __typename }", 0),
        ('{ __type(name: "Citizen") { name } }', 1),
        ("fragment S on Query { __schema { queryType { name } } } { ...S ...S }", 2),
    ):
        figures = measure(parse(query), model)
        assert figures is not None
        assert figures.introspection == expected, query


def test_introspection_weighs_each_value_with_lists_as_long_as_the_schema_makes_them(
    schema: GraphQLSchema,
) -> None:
    model = CostModel(schema, max_citizens=100, family_size=10)
    types = len(schema.type_map)
    most_fields = max(len(t.fields) for t in schema.type_map.values() if hasattr(t, "fields"))

    def size(query: str) -> int:
        figures = measure(parse(query), model)
        assert figures is not None and figures.cost == 0  # no source read
        return figures.schema_size

    assert size("{ __schema { queryType { name } } }") == 3
    assert size("{ __schema { types { name } } }") == 1 + types * 2
    nested = size("{ __schema { types { fields { type { fields { name } } } } } }")
    assert nested >= types * most_fields * most_fields  # a list inside a list multiplies


def test_every_operation_and_unspread_fragment_counts(schema: GraphQLSchema) -> None:
    model = CostModel(schema, max_citizens=100, family_size=10)
    document = parse(
        'query A { __typename } query B { citizen(nik: "1") { nik employment { nip } } }'
        " fragment F on Citizen { family { familyCardNumber } }"
    )
    figures = measure(document, model)
    assert figures is not None
    assert (figures.operations, figures.cost, figures.fields) == (2, 2 + 1, 1 + 4 + 2)


def test_a_list_paged_by_first_weighs_its_cap(schema: GraphQLSchema) -> None:
    queue = "{ identityReviewQueue(first: 3) { items { nik } } }"
    assert cost(schema, queue) == 1 + 100 * 1
    assert cost(schema, queue, max_citizens=10) == 1 + 10 * 1
    assert cost(schema, '{ identityReviewItem(id: "x") { item { nik } recordLinks { nik } } }') == (
        1 + 1 + 10
    )
