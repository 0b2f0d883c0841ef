"""The one gate every citizen the loading layer builds passes through.

The access decision (:mod:`schema.execution.policy`) runs before execution and
says which citizens this operation may reach; the gate carries that answer into
the loaders. :meth:`schema.federation.Federation.citizens` asks it for every
NIK, whatever path reached it — a root argument, a family card, an identity
resolution, a websocket operation — and builds only the citizens it admits.

A gate is closed unless the decision opened it: an operation that forgot to
decide builds no one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from schema.execution.ports import Relation


@dataclass(frozen=True, slots=True)
class Gate:
    """Which NIKs may be built, and how each relates to a citizen viewer."""

    everyone: bool = False  # partners: the scopes and the budget decide the rest
    relations: Mapping[str, Relation] = field(default_factory=dict)  # citizen viewers

    def admits(self, nik: str) -> bool:
        return self.everyone or nik in self.relations

    def relation(self, nik: str) -> Relation | None:
        """How the citizen ``nik`` relates to a citizen viewer (None: not a citizen viewer)."""
        return self.relations.get(nik)


CLOSED = Gate()
OPEN = Gate(everyone=True)


def for_citizen(relations: Mapping[str, Relation]) -> Gate:
    """A citizen viewer's gate: itself and the members of its own family card, no one else."""
    return Gate(relations={n: r for n, r in relations.items() if r is not Relation.STRANGER})
