"""What a viewer sees of each citizen the federation builds: masking, relations, disclosures.

The operation-level decision (:mod:`schema.policy`) already pruned what the
viewer's scopes do not allow. What is left depends on who each citizen turns out
to be, which only loading tells: a citizen token that walks its own family card
sees its children's school admissions and its relatives' names, nothing else of
theirs; and other people's NIKs are masked unless the viewer may resolve
identities.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

from strawberry.utils.str_converters import to_camel_case

from connectors.siak.records import FamilyRelationship
from identity.nik import NIK
from schema.access import Disclosed
from schema.citizen.types import Citizen
from schema.errors import Forbidden
from schema.policy import Relation, Viewer
from schema.products import FIELD_SOURCES
from schema.scopes import CHILD_FIELDS, FAMILY_MEMBER_FIELDS, IDENTITY

if TYPE_CHECKING:
    from schema.selection import Plan

PARENTS = frozenset({FamilyRelationship.HEAD, FamilyRelationship.WIFE, FamilyRelationship.HUSBAND})


def member_relation(
    viewer: Viewer,
    viewer_relationship: FamilyRelationship | None,
    nik: str,
    relationship: FamilyRelationship,
) -> Relation:
    """How a member of the viewer's own family card relates to the viewer."""
    if nik == viewer.nik:
        return Relation.SELF
    if relationship is FamilyRelationship.CHILD and viewer_relationship in PARENTS:
        return Relation.CHILD
    return Relation.FAMILY


def show(
    citizen: Citizen,
    viewer: Viewer | None,
    plan: Plan,
    *,
    supplied: bool,
    relation: Relation | None,
    disclosed: dict[str, Disclosed],
) -> None:
    """Mask and restrict ``citizen`` for ``viewer`` in place, and note what it discloses.

    ``supplied`` is true when the caller named this NIK; ``relation`` is set when a
    citizen viewer reached this citizen through its own family card.
    """
    nik = citizen.nik
    if viewer is None:
        return
    selected = set(plan.fields)
    if viewer.is_citizen and relation not in (None, Relation.SELF):
        allowed = CHILD_FIELDS if relation is Relation.CHILD else FAMILY_MEMBER_FIELDS
        refused = Forbidden(
            "a citizen token sees its relatives' names and its children's school admissions only",
            reason="not_own_data",
        )
        for name in selected - allowed:
            python_name = _PYTHON_NAMES.get(name)
            if python_name is not None:
                setattr(citizen, python_name, refused)
        selected &= allowed
    if not supplied and nik != viewer.nik and not viewer.may(IDENTITY):
        citizen.nik = NIK(nik).masked()  # type: ignore[assignment]
    record = disclosed.setdefault(nik, Disclosed())
    record.fields.update(selected - {"__typename"})
    record.sources.update(FIELD_SOURCES.get(f, "SIAK") for f in selected - {"__typename"})


# GraphQL field name -> Citizen attribute, for fields restricted per citizen.
_PYTHON_NAMES: dict[str, str] = {
    **{to_camel_case(f.name): f.name for f in fields(Citizen)},
    "accessLog": "access_log_found",  # a resolver with an argument, over this attribute
}
