"""Per request: load one level of citizens and everything the level selects, together.

For a list of NIKs and the operation's sub-selection (:class:`~schema.selection.Plan`),
:meth:`Federation.citizens` sends one statement per selected source — concurrently —
then the next level (SIPBD through SIKDa's NIPs; family members through SIAK) the
same way. The result is plain :class:`~schema.citizen.types.Citizen` objects whose
fields graphql-core reads synchronously; a source that failed leaves its
:class:`~schema.errors.SourceError` in place of the value, raised when (and only
when) the field is read, so its fields are null and the rest still answers. An
unexpected exception in one read is kept the same way (masked as INTERNAL at the
HTTP edge).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from connectors.antrian import reads as antrian_reads
from connectors.apk import reads as apk_reads
from connectors.base import Source, SourceDB
from connectors.siak import reads as siak_reads
from connectors.sipbd import reads as sipbd_reads
from schema.citizen.types import Citizen, Family, FamilyMember
from schema.guard import RequestSources, SourceGuard
from schema.products import BY_NIK
from schema.selection import Plan

T = TypeVar("T")
_FAMILY_CITIZEN_PATHS = (("head",), ("members", "citizen"))


class Federation:
    """The per-request loader. Never shared between requests: it holds no cache across them."""

    def __init__(
        self, sources: Mapping[Source, SourceDB], guard: SourceGuard, seen: RequestSources
    ) -> None:
        self.sources = sources
        self.guard = guard
        self.seen = seen

    async def read(
        self,
        source: Source,
        batch: Callable[[SourceDB, Sequence[str]], Awaitable[T]],
        keys: Sequence[str],
    ) -> T:
        """One batch read through the source's timeout and circuit breaker."""
        db = self.sources[source]
        return await self.guard.call(source, self.seen, lambda: batch(db, keys))

    async def citizens(self, niks: Sequence[str], plan: Plan) -> list[Citizen | None]:
        """One Citizen per NIK, in order, ``None`` where SIAK does not know it."""
        keys = list(dict.fromkeys(niks))
        if not keys:
            return []
        wanted = [p for p in BY_NIK if plan.wants(p.field)]
        wants_assets = plan.wants("assetsHeld")
        if wants_assets and not plan.wants("employment"):
            wanted.append(next(p for p in BY_NIK if p.field == "employment"))
        results = await asyncio.gather(
            self.read(Source.SIAK, siak_reads.profiles_by_nik, keys),
            *(self.read(p.source, p.read, keys) for p in wanted),
            return_exceptions=True,
        )
        profiles = results[0]
        if isinstance(profiles, BaseException):
            raise profiles
        found: dict[str, Any] = {
            p.field: _failure_or(r) for p, r in zip(wanted, results[1:], strict=True)
        }

        next_level: list[Awaitable[Any]] = []
        if wants_assets:
            next_level.append(self._assets(found["employment"]))
        family_plan = plan.child("family")
        if plan.wants("family"):
            cards = [p.family_card_number for p in profiles.values()]
            next_level.append(self.families(cards, family_plan))
        later = iter(await asyncio.gather(*next_level, return_exceptions=True))
        assets = _failure_or(next(later)) if wants_assets else None
        families: dict[str, Family | None] = {}
        if plan.wants("family"):
            loaded = _failure_or(next(later))
            if isinstance(loaded, Exception):
                families = {}
                family_error: Exception | None = loaded
            else:
                family_error = None
                families = {f.family_card_number: f for f in loaded if f is not None}
        else:
            family_error = None

        out: dict[str, Citizen] = {}
        for nik, profile in profiles.items():
            values: dict[str, Any] = {}
            for p in wanted:
                rows = found[p.field]
                values[p.field] = rows if isinstance(rows, Exception) else rows.get(nik, p.empty)
            if wants_assets:
                values["assetsHeld"] = _assets_of(nik, found["employment"], assets)
            if family_error is not None:
                values["family"] = family_error
            else:
                values["family"] = families.get(profile.family_card_number)
            out[nik] = Citizen.from_profile(profile, values)
        return [out.get(n) for n in niks]

    async def _assets(self, servants: dict[str, Any] | Exception) -> dict[str, Any]:
        if isinstance(servants, Exception):
            return {}
        nips = [s.nip for s in servants.values()]
        if not nips:
            return {}
        return await self.read(Source.SIPBD, sipbd_reads.assets_by_nip, nips)

    async def families(self, cards: Sequence[str], plan: Plan) -> list[Family | None]:
        """One Family per card number, in order; member citizens loaded as one next level."""
        keys = list(dict.fromkeys(cards))
        if not keys:
            return []
        records = await self.read(Source.SIAK, siak_reads.families_by_card, keys)
        citizen_plan = Plan.merge(*(plan.child(*path) for path in _FAMILY_CITIZEN_PATHS))
        members: dict[str, Citizen | None] = {}
        if citizen_plan.selected:
            niks = [m.nik for f in records.values() for m in f.members]
            members = dict(zip(niks, await self.citizens(niks, citizen_plan), strict=True))
        families = {
            card: Family(
                family_card_number=card,
                head=members.get(record.head_nik),
                members=[
                    FamilyMember(relationship=m.relationship, citizen=members.get(m.nik))
                    for m in record.members
                ],
            )
            for card, record in records.items()
        }
        return [families.get(c) for c in cards]

    async def service_centres(self) -> list[Any]:
        centres: list[Any] = await self.read(
            Source.ANTRIAN, lambda db, _: antrian_reads.service_centres(db), ()
        )
        return centres

    async def district_service_types(self) -> list[Any]:
        types: list[Any] = await self.read(
            Source.APK, lambda db, _: apk_reads.service_types(db), ()
        )
        return types


def _assets_of(nik: str, servants: Any, assets: Any) -> Any:
    if isinstance(servants, Exception):
        return servants
    if isinstance(assets, Exception):
        return assets
    servant = servants.get(nik)
    if servant is None:
        return ()
    return assets.get(servant.nip, ())


def _failure_or(result: Any) -> Any:
    """Keep a failed read as a value: the fields it feeds raise it when read.

    A SourceError becomes SOURCE_UNAVAILABLE/SOURCE_TIMEOUT on those fields; any
    other exception (a bug) keeps its traceback and is masked as INTERNAL by the
    HTTP adapter. Either way the rest of the answer still arrives. Cancellation
    and other BaseExceptions are not failures of a read and propagate.
    """
    if isinstance(result, BaseException) and not isinstance(result, Exception):
        raise result
    return result
