"""A known document's walk and a partner's decision are reused, never its values."""

from __future__ import annotations

from typing import Any

from graphql import parse

from hub.auth import SCOPES as ALL_SCOPES
from schema.build import build_schema
from schema.execution.document import Visit, walk_coerced
from schema.execution.ports import Viewer
from schema.execution.reuse import decide_once

SCHEMA = build_schema()._schema
ONE = "3671042602810001"
OTHER = "3671014112850003"
FAMILY_CARD = "3671040101100001"

EVERYTHING = Viewer(scopes=frozenset(ALL_SCOPES), client_id="city", purpose="audit")
PSB_ONLY = Viewer(
    scopes=frozenset({"siak:profile", "psb:read"}), client_id="school", purpose="PPDB"
)
NO_FAMILY = Viewer(
    scopes=frozenset(ALL_SCOPES - {"siak:family"}), client_id="clinic", purpose="care"
)


def denied(document: Any, viewer: Viewer, variables: dict[str, Any]) -> list[tuple[str, ...]]:
    visits, shape, _ = walk_coerced(SCHEMA, document, None, variables)
    assert all(isinstance(v, Visit) for v in visits), visits
    decision = decide_once(viewer, visits, document, shape, {})  # type: ignore[arg-type]
    return [d.path for d in decision.denials]


def test_each_operation_of_one_document_gets_its_own_arguments() -> None:
    document = parse("query($nik: NIK!) { citizen(nik: $nik) { fullName } }")
    first, _, _ = walk_coerced(SCHEMA, document, None, {"nik": ONE})
    second, _, _ = walk_coerced(SCHEMA, document, None, {"nik": OTHER})
    assert next(v.arguments for v in first if isinstance(v, Visit)) == {"nik": ONE}
    assert next(v.arguments for v in second if isinstance(v, Visit)) == {"nik": OTHER}


def test_a_skipped_field_is_walked_again_when_the_flag_changes() -> None:
    document = parse(
        "query($nik: NIK!, $faith: Boolean!) { citizen(nik: $nik) { fullName"
        " religion @include(if: $faith) } }"
    )
    assert denied(document, PSB_ONLY, {"nik": ONE, "faith": False}) == []
    assert denied(document, PSB_ONLY, {"nik": ONE, "faith": True}) == [("citizen", "religion")]


def test_a_decision_is_reused_only_for_the_same_scopes() -> None:
    document = parse("query($nik: NIK!) { citizen(nik: $nik) { fullName religion } }")
    assert denied(document, EVERYTHING, {"nik": ONE}) == []
    assert denied(document, PSB_ONLY, {"nik": OTHER}) == [("citizen", "religion")]
    assert denied(document, EVERYTHING, {"nik": OTHER}) == []


def test_resolving_an_identity_is_decided_on_each_identifier() -> None:
    # Whether the identifier reads as a family card (whose members need siak:family)
    # is a value: the same document must be decided again for each.
    document = parse(
        "query($id: String!) { resolveIdentity(system: SIAK, identifier: $id) { __typename } }"
    )
    assert denied(document, NO_FAMILY, {"id": "not-a-card"}) == []
    assert denied(document, NO_FAMILY, {"id": FAMILY_CARD}) == [("resolveIdentity",)]
