"""The federation's reads of one level, each shared by every field of the request at that level.

Mixed into :class:`schema.federation.Federation` (the per-request loader), whose
``read`` goes through the source guard: each read here is a
:class:`~schema.coalesce.Coalesced` one, so root fields beside each other (``me``
and ``citizen(nik:)``, two aliases, ``_entities`` beside ``citizens``) and the
members of several family cards send one statement per source per level between
them, the disclosure log's read included.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from connectors.base import Store
from connectors.crosswalk import reads as lookups
from schema.audit.types import log_read_of
from schema.coalesce import Coalesced, Send
from schema.errors import AuditUnavailable, SourceError
from schema.products import BY_NIK, ProductField
from schema.projection import projected
from schema.selection import Plan

if TYPE_CHECKING:
    from connectors.base import Source, SourceDB
    from connectors.crosswalk.reads import Crosswalk, StoredLink
    from schema.execution.ports import DisclosureSink

T = TypeVar("T")

IDENTIFIERS = next(p for p in BY_NIK if p.field == "identifiers")


class GuardedReads:
    """What the federation's mixins read through: the loader's ``read``, guarded by the
    source's timeout and circuit breaker (:meth:`schema.federation.Federation.read`)."""

    async def read(
        self,
        source: Source | Store,
        batch: Callable[[SourceDB, Sequence[str]], Awaitable[T]],
        keys: Sequence[str],
    ) -> T:
        raise NotImplementedError


class LevelReads(GuardedReads):
    """Coalesced reads of citizens' sources; see the module docstring."""

    audit: DisclosureSink | None
    _coalesced: dict[Hashable, Coalesced[Any]]

    def read_together(
        self,
        source: Source | Store,
        batch: Callable[[SourceDB, Sequence[str]], Awaitable[dict[str, Any]]],
        keys: Sequence[str],
    ) -> asyncio.Future[dict[str, Any]]:
        """``batch``'s rows of ``keys``, read in one statement with every other field of
        this level that reads it (:mod:`schema.coalesce`)."""
        return self._batch_read(source, batch).load(keys)

    def already_read(
        self,
        source: Source | Store,
        batch: Callable[[SourceDB, Sequence[str]], Awaitable[dict[str, Any]]],
        rows: dict[str, Any],
    ) -> None:
        """Rows of ``batch`` this request read before execution (the access decision's
        own reads): a field of the request that reads their keys takes them from here
        instead of sending the statement again. What a field shows of them stays that
        field's own decision; only the statement is saved."""
        self._batch_read(source, batch).prime(rows)

    def _batch_read(
        self,
        source: Source | Store,
        batch: Callable[[SourceDB, Sequence[str]], Awaitable[dict[str, Any]]],
    ) -> Coalesced[Any]:
        return self._together(batch, lambda ks, _: self.read(source, batch, ks))

    def _together(self, name: Hashable, send: Send[Any]) -> Coalesced[Any]:
        reader = self._coalesced.get(name)
        if reader is None:
            reader = self._coalesced[name] = Coalesced(send, shared=_outage)
        return reader

    def _product(
        self, product: ProductField, plan: Plan, keys: Sequence[str]
    ) -> asyncio.Future[dict[str, Any]]:
        """A product's rows of ``keys``: one statement for the level, reading the nested
        parts any of its fields selects."""

        def send(niks: list[str], plans: list[Plan]) -> Awaitable[dict[str, Any]]:
            return self.read(product.source, projected(product, Plan.merge(*plans)), niks)

        return self._together(product.field, send).load(keys, plan)

    def _crosswalk(self, keys: Sequence[str]) -> asyncio.Future[dict[str, Crosswalk]]:
        """What the crosswalk says of ``keys``: each NIK's served links (``identifiers``,
        the walk-in tickets matched by phone) and the product records in doubt for it
        (:mod:`schema.doubts`). One statement for the level, whichever of them it feeds."""
        return self.read_together(Store.HUB, lookups.crosswalk_by_nik, keys)

    @staticmethod
    async def _links(crosswalk: Awaitable[dict[str, Crosswalk]]) -> dict[str, list[StoredLink]]:
        """The links served as each NIK's (certain, or accepted by a steward); NIKs with
        none are absent."""
        return {nik: list(c.links) for nik, c in (await crosswalk).items() if c.links}

    async def _access_log(self, niks: Sequence[str], plan: Plan) -> dict[str, Any]:
        """Who saw each citizen's data: a page of the disclosure log, newest first, and
        the summary when asked, in one statement for every field of the level that
        reads the same page."""
        audit = self.audit
        if audit is None:
            raise AuditUnavailable("the disclosure log is not connected")
        last, before, summary = log_read_of(plan)  # a bad cursor fails this field alone

        def send(keys: list[str], needs: list[tuple[int, bool]]) -> Awaitable[dict[str, Any]]:
            rows = max(n for n, _ in needs)
            return audit.access_read(keys, rows, before=before, summary=any(s for _, s in needs))

        return await self._together(("accessLog", before), send).load(niks, (last, summary))


def _outage(error: Exception) -> bool:
    """A source down or timed out, or the log unreachable: the same for every caller."""
    return isinstance(error, SourceError | AuditUnavailable)
