"""Measuring a document costs one visit per selection set, whatever its fragments expand to."""

from __future__ import annotations

import pytest
from graphql import parse

from schema.execution.document import measure, root_names


def fan_out(levels: int) -> str:
    fragments = [
        f"fragment F{i} on Citizen {{ nik ...F{i + 1} ...F{i + 1} }}" for i in range(1, levels)
    ]
    fragments.append(f"fragment F{levels} on Citizen {{ nik }}")
    return '{ citizen(nik: "3671010101010001") { ...F1 } }\n' + "\n".join(fragments)


@pytest.mark.parametrize("levels", [10, 40, 400])
def test_a_fragment_fan_out_is_measured_in_work_linear_in_the_document(levels: int) -> None:
    figures = measure(parse(fan_out(levels)))
    assert figures is not None
    # Expanded, the operation has 2**levels fields; reading it takes one visit per
    # selection set written: the operation's two and one per fragment.
    assert figures.fields >= 2**levels
    assert figures.work == levels + 2


def test_aliases_count_as_the_fields_they_answer_with() -> None:
    aliases = " ".join(f"a{i}: sources {{ system reachable }}" for i in range(30))
    figures = measure(parse(f"{{ {aliases} }}"))
    assert figures is not None
    assert (figures.root_fields, figures.fields, figures.depth) == (30, 90, 2)


def test_introspection_is_bounded_by_its_fields_not_its_depth() -> None:
    deep = "name"
    for _ in range(12):
        deep = f"ofType {{ {deep} }}"
    figures = measure(parse(f"{{ __schema {{ types {{ fields {{ type {{ {deep} }} }} }} }} }}"))
    assert figures is not None
    assert figures.depth == 0 and figures.fields == 17


def test_root_names_read_each_fragment_once_and_ignore_no_directive() -> None:
    document = parse(
        "{ ...Q ...Q sources @skip(if: true) { system } } fragment Q on Query { me { nik } }"
    )
    assert root_names(document, None) == {"me", "sources"}
