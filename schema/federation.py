"""Per request: load one level of citizens and everything the level selects, together.

For a list of NIKs and the operation's sub-selection (:class:`~schema.selection.Plan`),
:meth:`Federation.citizens` sends one statement per selected source — concurrently,
and shared with every other field of the request loading citizens at the same level
(:mod:`schema.level_reads`) —
then the next level (SIPBD through SIKDa's NIPs; family members through SIAK;
walk-in tickets the hub's identity crosswalk matched by phone, from Antrian) the
same way; the crosswalk itself is read like a source (``Store.HUB``). The result
is plain :class:`~schema.citizen.types.Citizen` objects whose
fields graphql-core reads synchronously; a source that failed leaves its
:class:`~schema.errors.SourceError` in place of the value, raised when (and only
when) the field is read, so its fields are null and the rest still answers. An
unexpected exception in one read is kept the same way (masked as INTERNAL at the
HTTP edge).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from connectors.base import Source, SourceDB, SourceDBs, Store
from connectors.siak import reads as siak_reads
from connectors.sipbd import reads as sipbd_reads
from identity.opaque import KEY_BYTES, CitizenIds
from schema.audit.types import ACCESS_LOG_FIELDS
from schema.citizen.types import Citizen, Family, FamilyMember
from schema.coalesce import Coalesced
from schema.doubts import accepted_records, with_accepted, without_doubts
from schema.errors import Forbidden, SourceUnavailable
from schema.execution.gate import CLOSED, Gate
from schema.execution.ports import Disclosed, DisclosureSink, Relation, Viewer
from schema.guard import RequestSources, SourceGuard
from schema.identity import loading as identity
from schema.level_reads import IDENTIFIERS, LevelReads
from schema.products import BY_NIK
from schema.selection import Plan
from schema.service_reads import ServiceReads
from schema.viewing import disclose, member_relation, show

T = TypeVar("T")
log = logging.getLogger(__name__)


_PROCESS_IDS = CitizenIds(secrets.token_bytes(KEY_BYTES))


def _refused() -> Forbidden:
    return Forbidden(
        "this is outside what the operation's access decision admitted", reason="not_admitted"
    )


_FAMILY_CITIZEN_PATHS = (("head",), ("members", "citizen"))
# SIPBD's assets are reached through the NIPs SIKDa holds: read for assetsHeld alone too.
_EMPLOYMENT = next(p for p in BY_NIK if p.field == "employment")
# What a citizen with no rows in a product gets there: [] for lists, None for one object.
_EMPTY = {p.field: p.empty for p in BY_NIK}


class Federation(ServiceReads, LevelReads):
    """The per-request loader. Never shared between requests: it holds no cache across them."""

    def __init__(
        self,
        sources: Mapping[Source, SourceDB],
        guard: SourceGuard,
        seen: RequestSources,
        viewer: Viewer | None = None,
        audit: DisclosureSink | None = None,
        ids: CitizenIds | None = None,
    ) -> None:
        self.sources = sources
        self.audit = audit
        self.guard = guard
        self.seen = seen
        # The hub's own database (the identity crosswalk), when the app connected one.
        self.store = sources.store if isinstance(sources, SourceDBs) else None
        # None: no one to mask for (the gate still decides who may be built).
        self.viewer = viewer
        # Opaque ids of citizens, bound to this caller (a per-process key when the app
        # gave none: ids are then stable only within the process, e.g. in tests).
        self.ids = ids or _PROCESS_IDS
        self.caller = viewer.limit_key if viewer is not None else "hub"
        # Which citizens may be built at all: the access decision opens it (closed
        # until then, so an operation that was not decided builds no one).
        self.gate: Gate = CLOSED
        # Every citizen this request showed, by NIK: what of them the answer shows.
        self.disclosed: dict[str, Disclosed] = {}
        # Every NIK the caller named and the gate let it look up, found or not.
        self.looked_up: set[str] = set()
        # The NIKs each root field names (by response key), as the access decision read
        # them (schema.execution.policy.niks_by_root): an _entities field loads these.
        self.named: dict[str, list[str]] = {}
        # Reads shared by every field of the operation that asks for them.
        self._shared: dict[str, asyncio.Future[Any]] = {}
        self._loaders: dict[str, DataLoader[Any, Any]] = {}
        # The request's coalesced reads (one statement per source per level), by read.
        self._coalesced: dict[Hashable, Coalesced[Any]] = {}

    async def read(
        self,
        source: Source | Store,
        batch: Callable[[SourceDB, Sequence[str]], Awaitable[T]],
        keys: Sequence[str],
    ) -> T:
        """One batch read through the source's timeout and circuit breaker."""
        if isinstance(source, Store):
            if self.store is None:
                raise SourceUnavailable(source, "the hub database is not connected")
            db = self.store
        else:
            db = self.sources[source]
        return await self.guard.call(source, self.seen, lambda: batch(db, keys))

    async def citizens(
        self,
        niks: Sequence[str],
        plan: Plan,
        *,
        supplied: bool = True,
    ) -> list[Citizen | Forbidden | None]:
        """One Citizen per NIK, in order, ``None`` where SIAK does not know it, and a
        FORBIDDEN error (answered as null with that error) where the gate refuses it.

        ``supplied``: the caller named these NIKs (else they were reached, e.g. through
        a family card, and are masked for viewers who may not resolve identities).

        Every field of the request that loads citizens at the same level (root fields
        beside each other, the members of several family cards) shares one statement
        per source (:mod:`schema.coalesce`); each builds and masks its own citizens
        from its own rows, with its own selection.
        """
        refused = {n for n in niks if not self.gate.admits(n)}
        if refused:
            log.warning("the gate refused %d citizen(s) the decision let through", len(refused))
        keys = [n for n in dict.fromkeys(niks) if n not in refused]
        if supplied:
            self.looked_up.update(keys)
        if not keys:
            return [_refused() if n in refused else None for n in niks]
        wanted = [p for p in BY_NIK if plan.wants(p.field) and p is not IDENTIFIERS]
        wants_assets = plan.wants("assetsHeld")
        if wants_assets and not plan.wants("employment"):
            wanted.append(_EMPLOYMENT)
        wants_ids = plan.wants("identifiers")
        # Walk-in tickets matched by phone: their links now, the tickets one level down.
        wants_matches = plan.wants("queueTickets") and self.store is not None
        wants_log = plan.wants_any(ACCESS_LOG_FIELDS)
        # A product's records in doubt for the NIK typed on them are left out: which
        # those are, the crosswalk says, in the statement that reads the links.
        wants_doubts = bool(wanted) and self.store is not None
        # Each read starts as soon as what it needs is in, not when the whole first
        # level is: SIPBD waits on SIKDa's NIPs only, the family cards on SIAK only,
        # the matched walk-in tickets on the crosswalk only.
        first = {p.field: self._product(p, plan, keys) for p in wanted}
        crosswalk = self._crosswalk(keys) if wants_ids or wants_matches or wants_doubts else None
        links = (
            asyncio.ensure_future(self._links(crosswalk))
            if crosswalk is not None and (wants_ids or wants_matches)
            else None
        )
        if wants_ids and links is not None:
            first["identifiers"] = links
        profiles_read = self.read_together(Source.SIAK, siak_reads.profiles_by_nik, keys)
        family_plan = plan.child("family")
        later: dict[str, Awaitable[Any]] = {}
        if wants_assets:
            later["assets"] = self._assets(first["employment"])
        if plan.wants("family"):
            later["family"] = self._families_of(profiles_read, family_plan)
        if wants_matches and links is not None:
            later["matches"] = self._matches(links)
        if wants_log:
            later["accessLog"] = self._access_log(keys, plan)
        if wants_doubts and crosswalk is not None:
            later["doubts"] = crosswalk
            fields = [p.field for p in wanted]
            later["accepted"] = accepted_records(self, crosswalk, fields)
        settled = await asyncio.gather(
            profiles_read, *first.values(), *later.values(), return_exceptions=True
        )
        profiles = settled[0]
        if isinstance(profiles, BaseException):
            raise profiles
        found: dict[str, Any] = {
            field: _failure_or(r)
            for field, r in zip(first, settled[1 : 1 + len(first)], strict=True)
        }
        after = {
            name: _failure_or(r) for name, r in zip(later, settled[1 + len(first) :], strict=True)
        }
        if "doubts" in after:
            found = with_accepted(without_doubts(found, after["doubts"]), after["accepted"])
        access_log = after.get("accessLog")
        assets = after.get("assets")
        families: dict[str, Family | None] = {}
        family_error: Exception | None = None
        if plan.wants("family"):
            loaded = after["family"]
            if isinstance(loaded, Exception):
                family_error = loaded
            else:
                families = {f.family_card_number: f for f in loaded if f is not None}
        matched = after.get("matches", {})

        out: dict[str, Citizen] = {}
        for nik, profile in profiles.items():
            values: dict[str, Any] = {}
            for field, rows in found.items():
                values[field] = (
                    rows if isinstance(rows, Exception) else rows.get(nik, _EMPTY[field])
                )
            if wants_assets:
                values["assetsHeld"] = _assets_of(nik, found["employment"], assets)
            if family_error is not None:
                values["family"] = family_error
            else:
                values["family"] = families.get(profile.family_card_number)
            if wants_matches:
                values["queueTickets"] = identity.with_matches(
                    nik,
                    values["queueTickets"],
                    matched,
                    # A citizen sees a walk-in visit as theirs only when the match is certain.
                    min_confidence=1.0
                    if self.viewer is not None and self.viewer.is_citizen
                    else 0.0,
                )
            if wants_log:
                values["accessLog"] = (
                    access_log if isinstance(access_log, Exception) else (access_log or {}).get(nik)
                )
            citizen = Citizen.from_profile(profile, values)
            show(
                citizen,
                self.viewer,
                plan,
                supplied=supplied,
                relation=self.gate.relation(nik),
                disclosed=self.disclosed,
            )
            citizen.id = self.ids.seal(nik, self.caller)  # type: ignore[assignment]
            out[nik] = citizen
        return [_refused() if n in refused else out.get(n) for n in niks]

    async def _assets(self, employment: Awaitable[dict[str, Any]]) -> dict[str, Any]:
        try:
            servants = await employment
        except Exception:  # the employment field carries that failure; assetsHeld too
            return {}
        nips = [s.nip for s in servants.values()]
        if not nips:
            return {}
        return await self.read_together(Source.SIPBD, sipbd_reads.assets_by_nip, nips)

    async def _families_of(
        self, profiles: Awaitable[dict[str, Any]], plan: Plan
    ) -> list[Family | Forbidden | None]:
        cards = [p.family_card_number for p in (await profiles).values()]
        return await self.families(cards, plan)

    async def _matches(self, links: Awaitable[Any]) -> Any:
        try:
            found = await links
        except Exception as exc:  # kept as the value: the fields it feeds raise it
            found = exc
        return await identity.matched_tickets(self, found)

    async def families(self, cards: Sequence[str], plan: Plan) -> list[Family | Forbidden | None]:
        """One Family per card number, in order; member citizens loaded as one next level.

        A card is shown only when the gate admits every member on it (for a citizen
        viewer: its own card); otherwise it answers FORBIDDEN, members unread.
        """
        keys = list(dict.fromkeys(cards))
        if not keys:
            return []
        found = await self.read_together(Source.SIAK, siak_reads.families_by_card, keys)
        records = {
            card: record
            for card, record in found.items()
            if all(self.gate.admits(m.nik) for m in record.members)
        }
        head_plan, member_plan = (plan.child(*path) for path in _FAMILY_CITIZEN_PATHS)
        members: dict[str, Citizen | Forbidden | None] = {}
        if head_plan.selected or member_plan.selected:
            # Only the citizens the answer shows are loaded (and disclosed): every
            # member when members.citizen is selected, else the heads alone.
            niks = [
                m.nik
                for f in records.values()
                for m in f.members
                if member_plan.selected or m.nik == f.head_nik
            ]
            citizen_plan = Plan.merge(head_plan, member_plan)
            loaded = await self.citizens(niks, citizen_plan, supplied=False)
            members = dict(zip(niks, loaded, strict=True))
        if plan.wants("members"):
            # Who is on the card, and how they relate, is itself a disclosure.
            for record in records.values():
                for m in record.members:
                    disclose(self.disclosed, m.nik, {"family.members"}, "SIAK")
        families: dict[str, Family | Forbidden] = {
            card: Family(
                family_card_number=card,
                head=members.get(record.head_nik),  # type: ignore[arg-type]
                members=[
                    FamilyMember(
                        id=self.ids.seal(m.nik, self.caller),  # type: ignore[arg-type]
                        relationship=m.relationship,
                        citizen=members.get(m.nik),  # type: ignore[arg-type]
                    )
                    for m in record.members
                ],
            )
            for card, record in records.items()
        }
        for card in found.keys() - records.keys():
            families[card] = _refused()
        return [families.get(c) for c in cards]

    async def relate(self, viewer: Viewer) -> tuple[dict[str, Relation], str | None]:
        """For a citizen viewer: how each member of its own family card relates to it
        (itself included), and the card's number; empty for partners.

        One SIAK statement (the viewer's profile with its card), for citizen tokens
        only. Anyone not on the card is a stranger, and the gate builds no stranger.
        The request's own loads take both from here (``me``, its family card): a
        citizen's request reads its profile and its card once.
        """
        if not viewer.is_citizen or viewer.nik is None:
            return {}, None
        profiles, families = await self.read(
            Source.SIAK, siak_reads.profiles_with_cards, [viewer.nik]
        )
        own = profiles.get(viewer.nik)
        if own is None:
            return {}, None
        self.already_read(Source.SIAK, siak_reads.profiles_by_nik, profiles)
        self.already_read(Source.SIAK, siak_reads.families_by_card, families)
        card = own.family_card_number
        members = (
            {m.nik: m.relationship for m in families[card].members} if card in families else {}
        )
        relations = {
            nik: member_relation(viewer, members.get(viewer.nik), nik, relationship)
            for nik, relationship in members.items()
        }
        relations[viewer.nik] = Relation.SELF
        return relations, card


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
