"""What an operation may cost the product databases, known before any SQL runs.

The figure is a count of source reads, an upper bound taken from the document alone
(before variables, ``@skip`` or ``@include``): what the sources would do if every
list were as long as it may be. :func:`schema.execution.document.measure` adds it up
in its one memoised walk, asking :meth:`CostModel.weigh` for each field:

- a **citizen** weighs 1 wherever it is reached (its SIAK profile): ``citizen``,
  ``me``, a family's ``head``, a member's or an identity candidate's ``citizen``;
- each **product field** of a citizen weighs 1 (its source's read per citizen:
  ``schoolAdmissions``, ``employment``, ``assetsHeld``, ``identifiers``, ...), as do
  ``family`` (the card's read), ``accessLog`` and ``consents``; the rows a product
  answers with, and the lists inside them, are that one read and weigh nothing more;
- a **list** multiplies what it holds by its cap: ``citizens(niks:)`` (and a
  federation gateway's ``_entities``) by the NIK cap (``[limits] max_citizens``), a
  card's ``members`` and an identity match's ``candidates`` by ``[limits] family_size``;
  a field paged by ``first:`` (the steward's ``identityReviewQueue``) by the page's cap,
  ``max_citizens``, each item it may hold weighing 1 (every item shows a NIK), as does
  each of a review case's ``recordLinks`` (at most ``family_size``);
- every other root field (a catalogue, a write, a subscription) weighs 1.

Introspection reads no source but costs CPU and answer size, so it has a figure of its
own (:attr:`Weight.introspective`): every value under ``__schema`` or ``__type``
weighs 1, and its lists are as long as this schema makes them (``types`` the number of
types, ``fields`` the most fields a type has, ...). The standard introspection query
is the most a client needs; admission refuses what weighs more.

So ``citizens(niks: $n) { fullName employment { nip } }`` weighs 100 × (1 + 1) = 200,
and asking for every member's products of each of those citizens' family cards weighs
a hundred times a card's worth. Each operation may weigh at most ``[limits] max_cost``;
each caller may spend ``[limits] cost_per_minute`` in any minute (:mod:`hub.limits`).
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_abstract_type,
)

from schema.products import FIELD_SOURCES

CITIZEN = "Citizen"

# Fields of a citizen that read a source of their own, besides the products.
_OTHER_READS = ("family", "accessLog", "accessHistory", "accessSummary", "consents")

Scope = GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType


@dataclass(frozen=True, slots=True)
class Weight:
    """One field's part in the figure: ``own + multiplier × (each object + below)``."""

    own: int  # reads the field makes once per parent object
    multiplier: int  # how many objects a list field may hold (1 otherwise)
    each: int  # reads per object it holds (1 for a citizen)
    below: Scope | None  # the type its selection is read in, if it has one
    introspective: bool = False  # counts toward the introspection figure, not the cost


_NOTHING = Weight(0, 1, 0, None)
# The introspection root fields: the Query type does not list them.
_META = {"__schema": "__Schema", "__type": "__Type"}
# Types whose every object shows a NIK the way a citizen does.
_SHOWN = frozenset({CITIZEN, "ReviewItem"})


class CostModel:
    """The weights of one schema's fields, with the caps of its lists."""

    def __init__(self, schema: GraphQLSchema, *, max_citizens: int, family_size: int) -> None:
        self.schema = schema
        self._roots = {
            t.name
            for t in (schema.query_type, schema.mutation_type, schema.subscription_type)
            if t is not None
        }
        self._caps = {
            ("Query", "citizens"): max_citizens,
            ("Query", "_entities"): max_citizens,  # Apollo Federation: citizens by key
            ("Family", "members"): family_size,
            ("IdentityMatch", "candidates"): family_size,
            ("ReviewCase", "recordLinks"): family_size,  # the links of one record
        }
        # A field paged by ``first:`` answers at most max_citizens items (its resolver's cap).
        self._first_cap = max_citizens
        self._lengths = _introspection_lengths(schema)
        self._reads = {(CITIZEN, name) for name in (*FIELD_SOURCES, *_OTHER_READS)}
        self._memo: dict[tuple[str, str], Weight] = {}

    def scope(self, name: str) -> Scope | None:
        """The type a fragment's selection is read in (None: unknown, weighs nothing)."""
        found = self.schema.get_type(name)
        return found if isinstance(found, Scope) else None

    @property
    def root(self) -> dict[str, Scope]:
        """The root type of each kind of operation."""
        roots = {
            "query": self.schema.query_type,
            "mutation": self.schema.mutation_type,
            "subscription": self.schema.subscription_type,
        }
        return {kind: t for kind, t in roots.items() if t is not None}

    def weigh(self, parent: Scope | None, name: str) -> Weight:
        """The weight of field ``name`` selected on ``parent``; nothing for ``__typename``
        and for fields the schema lacks (validation refuses those)."""
        if parent is None or isinstance(parent, GraphQLUnionType) or name == "__typename":
            return _NOTHING
        key = (parent.name, name)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._weigh(parent, name)
        return found

    def _weigh(self, parent: GraphQLObjectType | GraphQLInterfaceType, name: str) -> Weight:
        if parent.name in self._roots and name in _META:
            return Weight(0, 1, 1, self.scope(_META[name]), introspective=True)
        definition = parent.fields.get(name)
        if definition is None or name.startswith("__"):
            return _NOTHING
        named = get_named_type(definition.type)
        below = named if isinstance(named, Scope) else None
        if parent.name.startswith("__"):  # __Schema, __Type, __Field, ...
            length = self._lengths.get(name, len(self.schema.type_map))
            multiplier = length if _is_list(definition.type) else 1
            return Weight(0, multiplier, 1, below, introspective=True)
        each = 1 if named.name in _SHOWN or (parent.name, name) == ("Query", "_entities") else 0
        own = 1 if (parent.name, name) in self._reads else 0
        if parent.name in self._roots and each == 0:
            own = 1  # a catalogue, a card, a match, a write or a subscription
        multiplier = self._caps.get((parent.name, name), 1) if _is_list(definition.type) else 1
        if "first" in definition.args:
            multiplier = self._first_cap
        return Weight(own, multiplier, each, below)


def _introspection_lengths(schema: GraphQLSchema) -> dict[str, int]:
    """How long each list of this schema's introspection answer may be."""
    types = list(schema.type_map.values())
    fields = [
        f
        for t in types
        if isinstance(t, Scope) and not isinstance(t, GraphQLUnionType)
        for f in t.fields.values()
    ]
    args = [len(f.args) for f in fields] + [len(d.args) for d in schema.directives]
    return {
        "types": len(types),
        "directives": len(schema.directives),
        "fields": max(
            (
                len(t.fields)
                for t in types
                if isinstance(t, Scope) and not isinstance(t, GraphQLUnionType)
            ),
            default=0,
        ),
        "inputFields": max(
            (len(t.fields) for t in types if isinstance(t, GraphQLInputObjectType)), default=0
        ),
        "enumValues": max(
            (len(t.values) for t in types if isinstance(t, GraphQLEnumType)), default=0
        ),
        "interfaces": max(
            (
                len(t.interfaces)
                for t in types
                if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)
            ),
            default=0,
        ),
        "possibleTypes": max(
            (len(schema.get_possible_types(t)) for t in types if is_abstract_type(t)), default=0
        ),
        "args": max(args, default=0),
        "locations": 20,  # the directive locations the specification names
    }


def _is_list(kind: GraphQLOutputType) -> bool:
    if isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    return isinstance(kind, GraphQLList)
