"""The service centres' reads a request shares: capacity, queue positions, catalogues.

Mixed into :class:`schema.federation.Federation` (the per-request loader), whose
``read`` goes through the source guard; kept apart because none of it is about a
citizen: every alias asking for the same service or ticket shares one statement
(a DataLoader each), and a catalogue is read once per operation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from connectors.antrian import capacity as capacity_reads
from connectors.antrian import reads as antrian_reads
from connectors.apk import reads as apk_reads
from connectors.base import Source
from schema.errors import BadUserInput
from schema.level_reads import GuardedReads

MAX_CAPACITY_DAYS = 60


class ServiceReads(GuardedReads):
    """Capacity, positions and catalogues, batched and shared within one request."""

    _shared: dict[str, asyncio.Future[Any]]
    _loaders: dict[str, DataLoader[Any, Any]]

    async def capacity(self, service_code: str, days: int) -> list[Any]:
        """A service's coming days; every service the answer asks about in one statement."""
        if not 1 <= days <= MAX_CAPACITY_DAYS:
            raise BadUserInput(
                f"days: 1 to {MAX_CAPACITY_DAYS}", rule="capacity_days", field="days"
            )
        loader = self._loaders.get("capacity")
        if loader is None:
            loader = self._loaders["capacity"] = DataLoader(load_fn=self._capacities)
        found: list[Any] = await loader.load((service_code, days))
        return found

    async def _capacities(self, keys: Sequence[tuple[str, int]]) -> list[list[Any]]:
        days = max(d for _, d in keys)
        codes = list(dict.fromkeys(code for code, _ in keys))
        found = await self.read(
            Source.ANTRIAN, lambda db, _: capacity_reads.service_days(db, codes, days=days), ()
        )
        return [list(found.get(code, ()))[:wanted] for code, wanted in keys]

    async def queue_position(self, ticket_id: str) -> Any:
        """Where a ticket stands; every ticket the answer asks about in one statement."""
        loader = self._loaders.get("position")
        if loader is None:
            loader = self._loaders["position"] = DataLoader(load_fn=self._positions)
        return await loader.load(ticket_id)

    async def _positions(self, ids: Sequence[str]) -> list[Any]:
        found = await self.read(Source.ANTRIAN, capacity_reads.queue_positions, list(ids))
        return [found.get(i) for i in ids]

    async def service_centres(self) -> list[Any]:
        """The Antrian catalogue; read once per operation however many aliases ask."""
        centres: list[Any] = await self._once(
            "service_centres",
            lambda: self.read(Source.ANTRIAN, lambda db, _: antrian_reads.service_centres(db), ()),
        )
        return centres

    async def district_service_types(self) -> list[Any]:
        """The APK catalogue; read once per operation however many aliases ask."""
        types: list[Any] = await self._once(
            "district_service_types",
            lambda: self.read(Source.APK, lambda db, _: apk_reads.service_types(db), ()),
        )
        return types

    async def _once(self, name: str, read: Callable[[], Awaitable[Any]]) -> Any:
        pending = self._shared.get(name)
        if pending is None:
            pending = self._shared[name] = asyncio.ensure_future(read())
        return await asyncio.shield(pending)
