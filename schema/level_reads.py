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
from schema.audit.types import log_read_of
from schema.coalesce import Coalesced, Send
from schema.errors import AuditUnavailable, SourceError
from schema.products import BY_NIK, MATCHED_TICKETS, ProductField
from schema.projection import projected
from schema.selection import Plan

if TYPE_CHECKING:
    from connectors.base import Source, SourceDB
    from schema.execution.ports import DisclosureSink

T = TypeVar("T")

IDENTIFIERS = next(p for p in BY_NIK if p.field == "identifiers")


class LevelReads:
    """Coalesced reads of citizens' sources; see the module docstring."""

    audit: DisclosureSink | None
    _coalesced: dict[Hashable, Coalesced[Any]]

    async def read(
        self,
        source: Source | Store,
        batch: Callable[[SourceDB, Sequence[str]], Awaitable[T]],
        keys: Sequence[str],
    ) -> T:
        raise NotImplementedError  # the loader's guarded read

    def read_together(
        self,
        source: Source | Store,
        batch: Callable[[SourceDB, Sequence[str]], Awaitable[dict[str, Any]]],
        keys: Sequence[str],
    ) -> asyncio.Future[dict[str, Any]]:
        """``batch``'s rows of ``keys``, read in one statement with every other field of
        this level that reads it (:mod:`schema.coalesce`)."""
        return self._together(batch, lambda ks, _: self.read(source, batch, ks)).load(keys)

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

    def _links(self, keys: Sequence[str], *, every: bool) -> asyncio.Future[dict[str, Any]]:
        """The crosswalk's links of ``keys``: every certain link where a field selects
        ``identifiers`` (``every``), else the walk-in tickets matched by phone alone.
        One statement for the level: the matched tickets are among every link."""

        def send(niks: list[str], needs: list[bool]) -> Awaitable[dict[str, Any]]:
            read = IDENTIFIERS.read if any(needs) else MATCHED_TICKETS.read
            return self.read(Store.HUB, read, niks)

        return self._together("links", send).load(keys, every)

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
