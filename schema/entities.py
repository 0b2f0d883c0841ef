"""The hub as an Apollo Federation v2 subgraph: ``Citizen`` is its one entity, keyed by ``nik``.

A gateway that composes the hub with another agency's service asks it for citizens
through ``_entities(representations: [{__typename: "Citizen", nik: "…"}])``. Those
NIKs arrive inside a JSON scalar (``_Any``), not in a typed argument, so the schema
checks nothing about them: :func:`entity_niks` reads each one exactly as the ``NIK``
scalar reads ``citizen(nik:)``, the access decision counts, relates and refuses them
like the NIKs of ``citizens(niks:)`` (:func:`schema.execution.policy.root_niks`),
and :func:`resolve_entities` loads them in one batch through the same gate, masking,
budget and disclosure log.

Why Citizen alone: an entity is a lookup by key at the root of the graph, a way in
beside the root fields, and each way in must be decided before it is read. The
citizen has one already (``citizen(nik:)``) with its policy; the product records
(admissions, applications, tickets, assets) are reached only through their
citizen, whose decision they follow, and a family card by number lists a family's
composition, which stays behind ``family(familyCardNumber:)`` and ``siak:family``.
Another agency's subgraph extends ``Citizen`` by ``nik``; it needs nothing else.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Final, Literal

import strawberry
from graphql import GraphQLError
from strawberry.printer import print_schema

from schema.errors import BadUserInput, HubError
from schema.scalars import parse_nik
from schema.selection import Plan

if TYPE_CHECKING:
    from schema.citizen.types import Citizen
    from schema.context import Info

ENTITIES = "_entities"
ENTITY_TYPE = "Citizen"
# The Federation spec's version the SDL declares (its @link). The hub uses @key
# alone, which every Federation 2 gateway knows: the oldest version keeps the hub
# composable by the oldest of them.
FEDERATION_VERSION: Final[Literal["2.0"]] = "2.0"

_EXAMPLE = '{"__typename": "Citizen", "nik": "<16 digits>"}'


def entity_niks(representations: Any) -> list[str]:
    """The NIK of each representation, in order and normalised as the NIK scalar does.

    Raises BadUserInput naming the representation (by index) and what is wrong with
    it: not an object, a type other than Citizen, no ``nik``, a NIK that breaks a
    rule. Never echoes a representation whole: its NIK may be someone's (a broken
    NIK's message quotes the digits that break the rule, as the NIK scalar's does).
    """
    if not isinstance(representations, list):
        raise BadUserInput(
            f"representations must be a list of objects such as {_EXAMPLE}",
            rule="entity_representation",
            field="representations",
        )
    niks: list[str] = []
    for index, representation in enumerate(representations):
        where = f"representations[{index}]"
        if not isinstance(representation, dict):
            raise BadUserInput(
                f"{where} must be an object such as {_EXAMPLE}",
                rule="entity_representation",
                field=where,
            )
        if representation.get("__typename") != ENTITY_TYPE:
            raise BadUserInput(
                f'{where}.__typename must be "{ENTITY_TYPE}": the hub\'s one entity type'
                " (@key: nik)",
                rule="entity_type",
                field=f"{where}.__typename",
            )
        if "nik" not in representation:
            raise BadUserInput(
                f"{where} has no nik: a Citizen is found by its key, nik",
                rule="entity_key",
                field=f"{where}.nik",
            )
        try:
            niks.append(parse_nik(representation["nik"]))
        except GraphQLError as error:
            rule = (error.extensions or {}).get("rule", "nik")
            raise BadUserInput(
                f"{where}.nik: {error.message}", rule=rule, field=f"{where}.nik"
            ) from None
    return niks


async def resolve_entities(info: Info, representations: Any) -> list[Citizen | HubError | None]:
    """One Citizen per representation, in order: null where SIAK does not know the NIK,
    the gate's FORBIDDEN where it refuses it (graphql-core answers that item with it).

    The access decision already read the representations' NIKs
    (:attr:`~schema.federation.Federation.named`): they are not parsed again.
    """
    federation = info.context.federation
    niks = federation.named.get(str(info.path.key))
    if niks is None:
        niks = entity_niks(representations)
    return list(await federation.citizens(niks, Plan.of(info)))


@strawberry.type(name="_Service", description="This subgraph, as a Federation gateway reads it.")
class Service:
    sdl: str


# The SDL of each schema, printed once: printing takes about 10 ms, and _service needs
# no token, so printing it per request would let anyone spend the hub's time.
_SDL: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def service(info: strawberry.Info[Any, Any]) -> Service:
    """The schema's SDL with its Federation directives, as ``_service { sdl }`` answers."""
    schema = info.schema
    sdl = _SDL.get(schema)
    if sdl is None:
        sdl = _SDL[schema] = print_schema(schema)
    return Service(sdl=sdl)
