"""A partner's access decision, reused for the next operation of the same shape.

For a partner (any viewer that is no citizen) :func:`~schema.execution.policy.decide`
reads the visited fields, the viewer's scopes and purpose, and argument values in two
places only: ``resolveIdentity`` (whether the identifier reads as a family card) and
the writes that act for a citizen (whom ``forCitizen`` names). Without those, the
decision — the denials, the pruned document — depends only on the fields the operation
visits (:func:`~schema.execution.document.walk_coerced`'s key) and on who asks, so it is
kept per (shape, scopes, purpose), bounded. A citizen's decision is never reused: it
depends on which NIKs are named and how the citizen relates to each. The value checks
that do not decide fields (the NIKs counted against the batch cap, NUL in text) run on
every operation's own values in the pipeline, before this.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from cachetools import LRUCache
from graphql import DocumentNode

from schema.execution.document import ShapeKey, Visit
from schema.execution.policy import ACTING_FIELDS, Decision, decide
from schema.execution.ports import Relation, Viewer

# Root fields whose denial reads an argument's value (see the module docstring).
_VALUE_DECIDED = frozenset({"resolveIdentity", *ACTING_FIELDS})

_DECISIONS: LRUCache[tuple[ShapeKey, frozenset[str], str | None], tuple[DocumentNode, Decision]]
_DECISIONS = LRUCache(512)


def decide_once(
    viewer: Viewer,
    visits: Sequence[Visit],
    document: DocumentNode,
    shape: ShapeKey | None,
    relations: Mapping[str, Relation],
    own_card: str | None = None,
    open_id: Callable[[str], str | None] | None = None,
) -> Decision:
    """:func:`decide`, or the decision already made for this shape and this partner's
    scopes and purpose. The returned decision is shared: read it, never change it."""
    reusable = (
        shape is not None
        and not viewer.is_citizen
        and not any(len(v.path) == 1 and v.name in _VALUE_DECIDED for v in visits)
    )
    if not reusable:
        return decide(viewer, visits, document, relations, own_card, open_id)
    assert shape is not None
    key = (shape, viewer.scopes, viewer.purpose)
    cached = _DECISIONS.get(key)
    if cached is not None and cached[0] is document:
        return cached[1]
    decision = decide(viewer, visits, document, relations, own_card, open_id)
    _DECISIONS[key] = (document, decision)
    return decision
