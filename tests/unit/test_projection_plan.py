"""Which nested parts the federation asks each connector for, from the operation."""

from __future__ import annotations

import functools

import pytest
from graphql import FieldNode, OperationDefinitionNode, parse

from schema.products import BY_NIK
from schema.projection import projected
from schema.selection import Plan

PRODUCTS = {p.field: p for p in BY_NIK}


def plan_of(document: str) -> Plan:
    """The plan below the operation's one root field."""
    parsed = parse(document)
    fragments = {d.name.value: d for d in parsed.definitions if not hasattr(d, "operation")}
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    root = operation.selection_set.selections[0]
    assert isinstance(root, FieldNode)
    return Plan([root], fragments, {})  # type: ignore[arg-type]


def asked(field: str, document: str) -> dict[str, bool]:
    read = projected(PRODUCTS[field], plan_of(document))
    if isinstance(read, functools.partial):
        return dict(read.keywords)
    assert read is PRODUCTS[field].read
    return {}


@pytest.mark.parametrize(
    ("field", "selection", "keywords"),
    [
        ("employment", "employment { nip rank }", {"histories": False}),
        ("employment", "employment { nip rankHistory { rank } }", {}),
        ("employment", "employment { positionHistory { position } }", {}),
        ("schoolAdmissions", "schoolAdmissions { level status }", {"choices": False}),
        ("schoolAdmissions", "schoolAdmissions { acceptedSchool { name } }", {}),
        ("schoolAdmissions", "schoolAdmissions { choices { rank } }", {}),
        ("procurementRoles", "procurementRoles { role vendor { name } }", {"tenders": False}),
        ("procurementRoles", "procurementRoles { tenders { tenderCode } }", {}),
        ("districtRequests", "districtRequests { number status }", {"history": False}),
        ("districtRequests", "districtRequests { history { status } }", {}),
        ("civilServiceApplications", "civilServiceApplications { year }", {}),
    ],
)
def test_a_nested_part_is_read_only_when_selected(
    field: str, selection: str, keywords: dict[str, bool]
) -> None:
    assert asked(field, "{ citizens(niks: []) { nik " + selection + " } }") == keywords


def test_a_nested_part_selected_through_a_fragment_or_an_alias_is_read() -> None:
    document = """
    fragment Career on CivilServant { past: rankHistory { rank } }
    { citizens(niks: []) { employment { nip ...Career } } }
    """
    assert asked("employment", document) == {}
    skipped = """
    { citizens(niks: []) { employment { nip rankHistory @skip(if: true) { rank } } } }
    """
    assert asked("employment", skipped) == {"histories": False}
