"""What a viewer sees of each citizen the federation builds: masking, relations, disclosures.

The operation-level decision (:mod:`schema.execution.policy`) already pruned what the
viewer's scopes do not allow. What is left depends on who each citizen turns out
to be, which only loading tells: a citizen token that walks its own family card
sees its children's school admissions and its relatives' names, nothing else of
theirs; and other people's NIKs are masked unless the viewer may resolve
identities.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any

from strawberry.utils.str_converters import to_camel_case

from connectors.siak.records import FamilyRelationship
from identity.nik import NIK, InvalidNIK
from schema.audit.types import refused_pages
from schema.citizen.types import Citizen
from schema.errors import Forbidden
from schema.execution.ports import Disclosed, Relation, Viewer
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

    ``supplied`` is true when the caller named this NIK; ``relation`` is how the
    citizen relates to a citizen viewer (the gate's answer; None for partners).
    """
    nik = citizen.nik
    if viewer is None:
        return
    selected = set(plan.fields)
    if viewer.is_citizen and relation is not Relation.SELF:
        # Its children and relatives through its own card; anyone else (which the
        # gate never builds) would see nothing but the type name.
        allowed = _CITIZEN_SEES.get(relation, frozenset({"__typename"}))
        for name in selected - allowed:
            python_name = _PYTHON_NAMES.get(name)
            if python_name is not None:
                setattr(
                    citizen,
                    python_name,
                    Forbidden(
                        "a citizen token sees its relatives' names and its children's"
                        " school admissions only",
                        reason="not_own_data",
                    ),
                )
        selected &= allowed
    shown = supplied or nik == viewer.nik or viewer.may(IDENTITY)
    if not shown:
        citizen.nik = NIK(nik).masked()  # type: ignore[assignment]
        # The NIK is the kecamatan, the birth date (+40 for women) and a serial that is
        # usually 0001: beside the address and sex, the birth date would rebuild it.
        if "birthDate" in selected:
            citizen.birth_date = Forbidden(  # type: ignore[assignment]
                "birthDate of a citizen shown with a masked NIK needs the scope"
                f" {IDENTITY}: with the address and sex it would rebuild the NIK",
                scope=IDENTITY,
            )
            selected.discard("birthDate")
        if citizen.employment is not None and not isinstance(citizen.employment, Exception):
            # A NIP opens with the birth date and holds the sex: the same rebuild.
            servant = citizen.employment
            citizen.employment = replace(servant, nip=_masked_nip(servant.nip))
    if isinstance(citizen.procurement_roles, list):
        # An individual's NPWP is their NIK: masked wherever that NIK would be.
        visible = nik if shown else None
        citizen.procurement_roles = [
            _with_npwp_masked(role, visible, viewer) for role in citizen.procurement_roles
        ]
    selected.discard("__typename")
    # A field whose source failed answers null and an error: it showed nothing; so does a
    # page of the log asked with a `last` it refuses.
    selected = {f for f in selected if not isinstance(_value(citizen, f), Exception)}
    selected -= refused_pages(plan)
    disclose(disclosed, nik, selected, *(FIELD_SOURCES.get(f, "SIAK") for f in selected))


def _value(citizen: Citizen, field_name: str) -> Any:
    python_name = _PYTHON_NAMES.get(field_name)
    return None if python_name is None else getattr(citizen, python_name, None)


def disclose(disclosed: dict[str, Disclosed], nik: str, fields_: set[str], *sources: str) -> None:
    """Note that the answer shows ``fields_`` of the citizen ``nik`` (from ``sources``)."""
    record = disclosed.setdefault(nik, Disclosed())
    record.fields.update(fields_)
    record.sources.update(sources)


def _masked_nip(nip: str) -> str:
    """``********200606*001``: the birth date and the sex digit hidden."""
    if len(nip) != 18:
        return "*" * len(nip)
    return "*" * 8 + nip[8:14] + "*" + nip[15:]


def _with_npwp_masked(role: Any, visible_nik: str | None, viewer: Viewer) -> Any:
    npwp = role.vendor.npwp
    if viewer.may(IDENTITY) or len(npwp) != 16 or npwp == visible_nik:
        return role
    try:
        as_nik = NIK.parse(npwp)
    except InvalidNIK:
        return role  # a company's 16-digit NPWP, not a person's NIK
    return replace(role, vendor=replace(role.vendor, npwp=as_nik.masked()))


_CITIZEN_SEES: dict[Relation | None, frozenset[str]] = {
    Relation.CHILD: CHILD_FIELDS,
    Relation.FAMILY: FAMILY_MEMBER_FIELDS,
}

# GraphQL field name -> Citizen attribute, for fields restricted per citizen.
_PYTHON_NAMES: dict[str, str] = {
    **{to_camel_case(f.name): f.name for f in fields(Citizen)},
    "accessLog": "access_log_found",  # a resolver with an argument, over this attribute
    "accessHistory": "access_log_found",
    "accessSummary": "access_log_found",
}
