"""The loading layer's gate on its own (real PostgreSQL): whatever the access decision
said, the federation builds no citizen, card or identity match its gate did not admit."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import FieldNode, OperationDefinitionNode, parse

from connectors.base import Source, SourceDB
from connectors.city import City
from schema.errors import Forbidden
from schema.execution import gate
from schema.execution.ports import Relation, Viewer
from schema.federation import Federation
from schema.guard import RequestSources, SourceGuard
from schema.identity.loading import resolve_identity
from schema.selection import Plan


def plan(selection: str) -> Plan:
    operation = parse(f"{{ x {{ {selection} }} }}").definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    [node] = operation.selection_set.selections
    assert isinstance(node, FieldNode)
    return Plan([node], {}, {})


@pytest.fixture
def federation(source_dbs: dict[Source, SourceDB], city: City) -> Federation:
    head = city.showcase[0].head
    viewer = Viewer(scopes=frozenset({"siak:profile", "siak:family"}), nik=head.nik)
    loading = Federation(source_dbs, SourceGuard(2000, 5, 30), RequestSources(), viewer)
    loading.gate = gate.for_citizen({head.nik: Relation.SELF})
    return loading


async def test_a_citizen_the_gate_did_not_admit_is_never_built(
    federation: Federation, city: City
) -> None:
    own, stranger = city.showcase[0].head, city.showcase[1].head
    found = await federation.citizens([own.nik, stranger.nik], plan("nik fullName"))
    assert found[0] is not None and not isinstance(found[0], Forbidden)
    assert isinstance(found[1], Forbidden)
    assert set(federation.disclosed) == {own.nik}


async def test_a_card_with_a_member_the_gate_did_not_admit_is_refused_unread(
    federation: Federation, city: City
) -> None:
    [card] = await federation.families(
        [city.showcase[0].kk], plan("members { relationship citizen { nik } }")
    )
    assert isinstance(card, Forbidden)  # only the head was admitted, not the whole card
    assert federation.disclosed == {}


async def test_an_identity_match_outside_the_gate_is_refused(
    federation: Federation, city: City
) -> None:
    with pytest.raises(Forbidden):
        await resolve_identity(federation, Source.SIAK, city.showcase[1].kk, plan("nik"))
    assert federation.disclosed == {}


async def test_a_closed_gate_builds_no_one(source_dbs: dict[Source, SourceDB], city: City) -> None:
    loading: Any = Federation(source_dbs, SourceGuard(2000, 5, 30), RequestSources())
    found = await loading.citizens([city.showcase[0].head.nik], plan("nik"))
    assert isinstance(found[0], Forbidden)
