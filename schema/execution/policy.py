"""Access decided once per operation, before execution, on the values it will run with.

:func:`decide` reads the visits of :func:`schema.execution.document.walk` — every
field graphql-core will execute, with fragments, aliases and ``@include``/
``@skip`` resolved and each argument coerced as the resolver will receive it —
and says, per field, whether this viewer may see it. Fields denied wherever they
appear are pruned from the document (so their sources are not even queried);
every denied field answers null with a FORBIDDEN error naming the missing scope
(:meth:`Decision.apply`). A field node shared by an allowed and a denied place
(one fragment spread under two citizens) stays in the document, and only its
denied place is nulled. No permission check runs per field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
)

from connectors.base import Source
from identity.errors import InvalidIdentifier
from identity.kinds import HELD_BY, IdentifierKind, canonical
from schema.entities import ENTITIES, entity_niks
from schema.execution.document import Visit
from schema.execution.ports import Relation, Viewer
from schema.execution.pruning import drop_pruned, null_at, prune, reorder
from schema.scopes import (
    ANONYMOUS_ROOT_FIELDS,
    CHILD_FIELDS,
    FAMILY,
    FIELD_SCOPES,
    STEWARD_ROOT_FIELDS,
)

# Root fields that name citizens by NIK: a Federation gateway's _entities names them
# in its representations.
CITIZEN_ROOTS = ("citizen", "citizens", ENTITIES)
# Writes that act for a citizen (their input's forCitizen, or the caller itself).
ACTING_FIELDS = ("bookQueueTicket", "submitDistrictRequest")
# A steward's decisions: each goes alone in its operation. Beside another root field an
# error there would null the whole answer (the fields are non-null) after the decision
# was taken and its NIKs logged: the steward would be told it failed.
DECISION_FIELDS = ("acceptIdentityLink", "rejectIdentityLink")
# Root fields that build no citizen and whose decision asks no citizen's relation to
# the viewer: the public catalogues, the schema, withdrawing a consent.
_UNRELATED_ROOT_FIELDS = ANONYMOUS_ROOT_FIELDS | {"revokeConsent"}


@dataclass(slots=True)
class Denial:
    path: tuple[str, ...]
    nodes: tuple[FieldNode, ...]
    message: str
    extensions: dict[str, Any]
    non_null: bool = False


@dataclass(slots=True)
class Decision:
    """The denials for one operation, and the document to execute instead.

    ``acting_for``: per mutation field (response key), the NIK it writes for (None:
    for no citizen, e.g. an officer's walk-in booked by phone).
    """

    document: DocumentNode
    denials: list[Denial] = field(default_factory=list)
    acting_for: dict[str, str | None] = field(default_factory=dict)
    # The response keys, in the operation's order, of each object a denied field answers
    # in: the pruned document no longer holds the denied ones, which apply puts back.
    key_order: dict[tuple[str, ...], list[str]] = field(default_factory=dict)

    def apply(
        self, data: dict[str, Any] | None, errors: list[GraphQLError]
    ) -> dict[str, Any] | None:
        """Put a null and a FORBIDDEN error wherever a denied field would have answered."""
        if data is None:
            return None
        answered = {tuple(e.path) for e in errors if e.path}
        for denial in self.denials:
            if len(denial.path) == 1 and denial.non_null:
                data = None  # a non-null root field cannot be null: the whole data goes
            if data is None:
                errors.append(_error(denial, list(denial.path)))
                continue
            for path in null_at(data, denial.path, []):
                if tuple(path) not in answered:  # the loader may have refused it already
                    errors.append(_error(denial, path))
        if data is not None:
            drop_pruned(data)
            for parent, keys in self.key_order.items():
                reorder(data, parent, keys)
        return data


def _error(denial: Denial, path: list[str | int]) -> GraphQLError:
    return GraphQLError(denial.message, path=path, extensions=denial.extensions)


def niks_by_root(visits: Sequence[Visit]) -> dict[str, list[str]]:
    """The NIKs the operation names at its root, as execution will see them (after
    variable defaults and list coercion), by root field (response key, every alias
    counted), for the root fields that name any: what the batch cap counts and what
    :func:`schema.entities.resolve_entities` loads without reading its representations
    a second time.

    Raises BadUserInput for an ``_entities`` representation that names no NIK."""
    return {v.path[0]: niks for v in visits if len(v.path) == 1 and (niks := root_niks(v))}


def root_niks(visit_: Visit) -> list[str]:
    """The NIKs one root field names: ``citizen``'s ``nik``, ``citizens``' ``niks``, the
    ``nik`` of each of ``_entities``' representations (read as the NIK scalar reads a
    NIK: they arrive as untyped JSON), the citizen a steward's review queue is narrowed
    to; none for any other field."""
    if visit_.name == "citizen":
        return [visit_.arguments["nik"]]
    if visit_.name == "identityReviewQueue":
        nik = visit_.arguments.get("nik")
        return [nik] if nik is not None else []
    if visit_.name == "citizens":
        return list(visit_.arguments["niks"])
    if visit_.name == ENTITIES:
        return entity_niks(visit_.arguments["representations"])
    return []


def needs_relations(visits: Sequence[Visit]) -> bool:
    """Whether deciding or running the operation asks how citizens relate to a citizen
    viewer (:meth:`schema.federation.Federation.relate`, one SIAK statement): every
    root field that may build, name or act for a citizen does; an operation of only
    :data:`_UNRELATED_ROOT_FIELDS` (the super-app's withdraw) does not, and a gate
    opened on no relations builds no one."""
    return any(len(v.path) == 1 and v.name not in _UNRELATED_ROOT_FIELDS for v in visits)


def anonymous_may_run(root_fields: set[str]) -> bool:
    """An anonymous caller may read the schema and the public catalogues, nothing else."""
    return root_fields <= ANONYMOUS_ROOT_FIELDS


def decide(
    viewer: Viewer,
    visits: Sequence[Visit],
    document: DocumentNode,
    relations: Mapping[str, Relation],
    own_card: str | None = None,
    open_id: Callable[[str], str | None] | None = None,
) -> Decision:
    """What this viewer may see and do in the operation.

    For a citizen viewer, ``relations`` relates the members of its own family card
    to it (anyone else is a stranger), and ``own_card`` is that card's number.
    ``open_id`` turns an opaque citizen id shown to this viewer back into a NIK.
    """
    acting_for: dict[str, str | None] = {}
    denials: list[Denial] = []
    denied_prefixes: set[tuple[str, ...]] = set()
    # Root citizens a citizen token may reach only for some fields (its children).
    limited_roots: dict[str, frozenset[str]] = {}
    for visit_ in visits:
        if any(visit_.path[:i] in denied_prefixes for i in range(1, len(visit_.path))):
            continue
        denial = _root_denial(viewer, visit_, relations, own_card, limited_roots)
        if denial is None:
            denial = _field_denial(viewer, visit_, limited_roots)
        if denial is None and visit_.parent == "Mutation" and visit_.name in ACTING_FIELDS:
            denial = _acting_denial(viewer, visit_, relations, open_id, acting_for)
        if denial is None and visit_.parent == "Mutation" and visit_.name in DECISION_FIELDS:
            denial = _decision_denial(visit_, visits)
        if denial is not None:
            denials.append(denial)
            denied_prefixes.add(visit_.path)
    if not denials:
        return Decision(document, acting_for=acting_for)
    parents = {d.path[:-1] for d in denials}
    key_order: dict[tuple[str, ...], list[str]] = {p: [] for p in parents}
    for visit_ in visits:  # collected level by level, each in the operation's order
        keys = key_order.get(visit_.path[:-1])
        if keys is not None and visit_.path[-1] not in keys:
            keys.append(visit_.path[-1])
    pruned = prune(document, visits, denied_prefixes)
    return Decision(pruned, denials, acting_for, key_order)


def _forbidden(visit_: Visit, message: str, **extensions: Any) -> Denial:
    return Denial(
        visit_.path, visit_.nodes, message, {"code": "FORBIDDEN", **extensions}, visit_.non_null
    )


def _root_denial(
    viewer: Viewer,
    visit_: Visit,
    relations: Mapping[str, Relation],
    own_card: str | None,
    limited_roots: dict[str, frozenset[str]],
) -> Denial | None:
    if len(visit_.path) != 1:
        return None
    # Resolving a family card, in whichever system holds it (SIAK, PSB), lists its
    # members: the family's composition, which siak:family guards.
    if (
        visit_.name == "resolveIdentity"
        and not viewer.may(FAMILY)
        and _reads_as_family_card(visit_.arguments["system"], visit_.arguments["identifier"])
    ):
        return _forbidden(
            visit_,
            f"resolving a family card lists its members: it needs the scope {FAMILY}",
            scope=FAMILY,
        )
    if not viewer.is_citizen:
        if visit_.name == "me":
            # A silent null would read as "no such citizen"; say what me is for.
            return _forbidden(
                visit_,
                "me is the citizen of a citizen token; partners ask citizen(nik:)",
                reason="not_a_citizen",
            )
        return None
    if visit_.name in CITIZEN_ROOTS:
        niks = root_niks(visit_)
        kinds = {relations.get(n, Relation.STRANGER) for n in niks}
        if kinds - {Relation.SELF, Relation.CHILD}:
            return _forbidden(
                visit_,
                "a citizen token sees its own data and its children's school admissions only",
                reason="not_own_data",
            )
        if Relation.CHILD in kinds:
            limited_roots[visit_.path[0]] = CHILD_FIELDS
        return None
    if visit_.name == "resolveIdentity":
        return _forbidden(visit_, "a citizen token cannot resolve identities", reason="citizen")
    if visit_.name in STEWARD_ROOT_FIELDS:
        # Whatever scopes it was given: the queue shows other people's NIKs.
        return _forbidden(
            visit_,
            "the identity review queue is the data steward's, not a citizen's",
            reason="citizen",
        )
    if visit_.name == "family":
        card = "".join(str(visit_.arguments.get("familyCardNumber", "")).split())
        if own_card is None or card != own_card:
            return _forbidden(
                visit_, "a citizen token sees its own family card only", reason="not_own_data"
            )
    return None


def _acting_denial(
    viewer: Viewer,
    visit_: Visit,
    relations: Mapping[str, Relation],
    open_id: Callable[[str], str | None] | None,
    acting_for: dict[str, str | None],
) -> Denial | None:
    """Whom a write acts for: a citizen for itself or a child on its card; a partner for
    the citizen it names by id, or no one (a walk-in booked by phone)."""
    given = (visit_.arguments.get("input") or {}).get("forCitizen")
    if given is None:
        target = viewer.nik  # a citizen acts for itself; a partner for no one
    else:
        target = open_id(str(given)) if open_id is not None else None
        if target is None:
            return Denial(
                visit_.path,
                visit_.nodes,
                "forCitizen is not an id this caller was shown (Citizen.id or FamilyMember.id)",
                {"code": "BAD_USER_INPUT", "rule": "for_citizen_unknown", "field": "forCitizen"},
                visit_.non_null,
            )
    if viewer.is_citizen and relations.get(target or "") not in (Relation.SELF, Relation.CHILD):
        return _forbidden(
            visit_,
            "forCitizen: a citizen acts for itself and for its children on its family card",
            reason="not_own_data",
            field="forCitizen",
        )
    acting_for[visit_.path[0]] = target
    return None


def _decision_denial(visit_: Visit, visits: Sequence[Visit]) -> Denial | None:
    if sum(len(v.path) == 1 for v in visits) == 1:
        return None
    return Denial(
        visit_.path,
        visit_.nodes,
        f"{visit_.name} goes alone in its operation: send one decision at a time",
        {"code": "BAD_USER_INPUT", "rule": "one_decision", "field": visit_.path[0]},
        visit_.non_null,
    )


def _reads_as_family_card(system: Source, identifier: str) -> bool:
    if IdentifierKind.KK not in HELD_BY[system]:
        return False
    try:
        canonical(IdentifierKind.KK, identifier)
    except InvalidIdentifier:
        return False
    return True


def _field_denial(
    viewer: Viewer, visit_: Visit, limited_roots: dict[str, frozenset[str]]
) -> Denial | None:
    if visit_.parent == "Citizen" and len(visit_.path) == 2:
        allowed = limited_roots.get(visit_.path[0])
        if allowed is not None and visit_.name not in allowed:
            return _forbidden(
                visit_,
                "a citizen token sees only the school admissions of its children",
                reason="not_own_data",
            )
    if (visit_.parent, visit_.name) == ("Citizen", "consents") and not viewer.is_citizen:
        # Which apps a citizen let in is theirs alone: decided here, so the field is
        # not even read for a partner.
        return _forbidden(
            visit_,
            "consents are the citizen's own: ask with the citizen's token",
            reason="citizen_only",
        )
    scope = FIELD_SCOPES.get((visit_.parent, visit_.name))
    if scope is not None and not viewer.may(scope):
        return _forbidden(
            visit_,
            f"{visit_.name} needs the scope {scope}"
            + (f" within the purpose {viewer.purpose}" if viewer.purpose else ""),
            scope=scope,
        )
    return None
