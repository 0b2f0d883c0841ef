"""The per-operation decision: fragments, aliases and directives cannot reach a denied field."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLError, parse, print_ast

from hub.auth import SCOPES as ALL_SCOPES
from schema.build import build_schema
from schema.execution.document import Visit, walk
from schema.execution.policy import decide, needs_relations, niks_by_root
from schema.execution.ports import Relation, Viewer

SCHEMA = build_schema()._schema
OWN = "3671042602810001"
CHILD = "3671041306130001"
STRANGER = "3671014112850003"


def decision_for(
    query: str,
    viewer: Viewer,
    variables: dict[str, Any] | None = None,
    relations: dict[str, Relation] | None = None,
    own_card: str | None = None,
) -> tuple[list[tuple[str, ...]], str]:
    document = parse(query)
    visits = visits_of(document, variables)
    decision = decide(viewer, visits, document, relations or {}, own_card)
    return [d.path for d in decision.denials], print_ast(decision.document)


def visits_of(document: Any, variables: dict[str, Any] | None = None) -> list[Visit]:
    visits = walk(SCHEMA, document, None, variables or {})
    assert all(isinstance(v, Visit) for v in visits), visits
    return visits  # type: ignore[return-value]


PSB_ONLY = Viewer(
    scopes=frozenset({"siak:profile", "psb:read"}), client_id="school", purpose="PPDB"
)


def test_a_partner_without_a_scope_is_denied_that_field_only() -> None:
    denied, document = decision_for(
        f'{{ citizen(nik: "{OWN}") {{ fullName religion schoolAdmissions {{ level }} }} }}',
        PSB_ONLY,
    )
    assert denied == [("citizen", "religion")]
    assert "religion" not in document and "schoolAdmissions" in document


@pytest.mark.parametrize(
    "query",
    [
        f'{{ citizen(nik: "{OWN}") {{ ...F }} }} fragment F on Citizen {{ religion }}',
        f'{{ citizen(nik: "{OWN}") {{ ... on Citizen {{ religion }} }} }}',
        f'{{ citizen(nik: "{OWN}") {{ faith: religion }} }}',
        f'{{ citizen(nik: "{OWN}") {{ ... {{ ...F }} }} }} fragment F on Citizen {{ x: religion }}',
    ],
)
def test_fragments_inline_fragments_and_aliases_do_not_bypass(query: str) -> None:
    denied, document = decision_for(query, PSB_ONLY)
    assert len(denied) == 1
    assert "religion" not in document


def test_include_and_skip_follow_the_variables() -> None:
    query = (
        "query($n: NIK!, $x: Boolean!) { citizen(nik: $n) { fullName religion @include(if: $x) } }"
    )
    denied, _ = decision_for(query, PSB_ONLY, {"n": OWN, "x": False})
    assert denied == []
    denied, _ = decision_for(query, PSB_ONLY, {"n": OWN, "x": True})
    assert denied == [("citizen", "religion")]


def test_a_selection_emptied_by_denials_stays_valid() -> None:
    _, document = decision_for(
        f'{{ citizen(nik: "{OWN}") {{ religion maritalStatus }} }}', PSB_ONLY
    )
    assert "__pruned: __typename" in document


def test_the_niks_named_are_the_values_execution_will_use_by_root_field() -> None:
    document = parse(
        'query($ns: [NIK!]!) { a: citizen(nik: "3671 0426 0281 0001") { nik }'
        " citizens(niks: $ns) { nik } }"
    )
    assert niks_by_root(visits_of(document, {"ns": [CHILD]})) == {"a": [OWN], "citizens": [CHILD]}


def test_a_bare_string_for_a_list_is_coerced_to_a_list_before_the_decision() -> None:
    document = parse(f'{{ a: citizens(niks: "{STRANGER}") {{ nik }} }}')
    assert niks_by_root(visits_of(document)) == {"a": [STRANGER]}


def test_a_variable_left_out_takes_its_default_before_the_decision() -> None:
    document = parse(f'query($n: [NIK!]! = ["{STRANGER}"]) {{ citizens(niks: $n) {{ nik }} }}')
    assert niks_by_root(visits_of(document, {})) == {"citizens": [STRANGER]}


def test_a_nik_that_does_not_coerce_is_graphql_cores_error_not_a_decision() -> None:
    errors = walk(SCHEMA, parse("query($n: NIK!) { citizen(nik: $n) { nik } }"), None, {"n": "1"})
    assert errors and all(isinstance(e, GraphQLError) for e in errors)


CITIZEN = Viewer(scopes=ALL_SCOPES - {"identity:resolve"}, nik=OWN, client_id="super-app")
RELATIONS = {OWN: Relation.SELF, CHILD: Relation.CHILD}


def test_a_citizen_token_sees_only_its_own_nik() -> None:
    denied, _ = decision_for(
        f'{{ a: citizen(nik: "{OWN}") {{ religion }} b: citizen(nik: "{STRANGER}") {{ nik }} }}',
        CITIZEN,
        relations=RELATIONS,
    )
    assert denied == [("b",)]


def test_a_citizen_token_sees_its_childs_school_admissions_only() -> None:
    denied, _ = decision_for(
        f'{{ citizen(nik: "{CHILD}") {{ fullName schoolAdmissions {{ level }} religion }} }}',
        CITIZEN,
        relations=RELATIONS,
    )
    assert denied == [("citizen", "religion")]


def test_a_citizen_token_cannot_batch_in_a_stranger() -> None:
    denied, _ = decision_for(
        "query($n: [NIK!]!) { citizens(niks: $n) { nik } }",
        CITIZEN,
        {"n": [OWN, STRANGER]},
        RELATIONS,
    )
    assert denied == [("citizens",)]


def test_a_citizen_token_reads_its_own_family_card_only() -> None:
    query = "query($k: String!) { family(familyCardNumber: $k) { familyCardNumber } }"
    denied, _ = decision_for(
        query, CITIZEN, {"k": "3671040909260001"}, RELATIONS, "3671040909260001"
    )
    assert denied == []
    denied, _ = decision_for(
        query, CITIZEN, {"k": "3671010101010001"}, RELATIONS, "3671040909260001"
    )
    assert denied == [("family",)]


def test_apply_puts_null_and_a_forbidden_error_in_every_list_item() -> None:
    document = parse("query($n: [NIK!]!) { citizens(niks: $n) { nik religion } }")
    variables = {"n": [OWN, CHILD]}
    decision = decide(PSB_ONLY, visits_of(document, variables), document, {})
    errors: list[GraphQLError] = []
    data = decision.apply({"citizens": [{"nik": OWN}, None, {"nik": CHILD}]}, errors)
    assert data == {
        "citizens": [{"nik": OWN, "religion": None}, None, {"nik": CHILD, "religion": None}]
    }
    assert [e.path for e in errors] == [["citizens", 0, "religion"], ["citizens", 2, "religion"]]
    assert all(e.extensions == {"code": "FORBIDDEN", "scope": "siak:sensitive"} for e in errors)


def test_a_fragment_shared_by_self_and_child_keeps_the_field_for_self() -> None:
    query = (
        f'{{ me {{ ...F }} c: citizen(nik: "{CHILD}") {{ ...F }} }}'
        " fragment F on Citizen { fullName religion }"
    )
    denied, document = decision_for(query, CITIZEN, relations=RELATIONS)
    assert denied == [("c", "religion")]
    assert "religion" in document  # still executed for me; Decision.apply nulls c.religion
    decision = decide(CITIZEN, visits_of(parse(query)), parse(query), RELATIONS)
    errors: list[GraphQLError] = []
    data = decision.apply(
        {"me": {"fullName": "A", "religion": "ISLAM"}, "c": {"fullName": "B", "religion": "X"}},
        errors,
    )
    assert data == {
        "me": {"fullName": "A", "religion": "ISLAM"},
        "c": {"fullName": "B", "religion": None},
    }
    assert [e.path for e in errors] == [["c", "religion"]]


@pytest.mark.parametrize(
    ("query", "needed"),
    [
        ('mutation { revokeConsent(appId: "app") { appId withdrawn } }', False),
        ("{ sources { system } serviceCentres { code } __typename }", False),
        ("{ me { fullName } }", True),
        (f'{{ sources {{ system }} citizen(nik: "{OWN}") {{ fullName }} }}', True),
        ('mutation { cancelQueueTicket(ticketId: "1") { number } }', True),
    ],
)
def test_only_an_operation_that_may_reach_a_citizen_needs_the_viewers_relations(
    query: str, needed: bool
) -> None:
    assert needs_relations(visits_of(parse(query))) is needed


def test_a_denied_field_answers_in_the_place_it_was_asked() -> None:
    """The pruned document no longer holds a denied field; its null comes back where the
    operation asked for it, at the root and inside an object, not after the rest."""
    query = (
        f'{{ me {{ nik }} b: citizen(nik: "{OWN}") {{ religion fullName }}'
        f' c: citizen(nik: "{STRANGER}") {{ nik }} }}'
    )
    document = parse(query)
    decision = decide(PSB_ONLY, visits_of(document), document, {})
    # What execution of the pruned document answers: the denied fields absent.
    data: dict[str, Any] = {"b": {"fullName": "X"}, "c": {"nik": STRANGER}}
    errors: list[GraphQLError] = []
    answered = decision.apply(data, errors)
    assert answered is not None
    assert list(answered) == ["me", "b", "c"] and answered["me"] is None
    assert list(answered["b"]) == ["religion", "fullName"]
    assert {tuple(e.path or ()) for e in errors} == {("me",), ("b", "religion")}
