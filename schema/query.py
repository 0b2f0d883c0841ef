"""The root Query: every resolver is one or two lines over the per-request federation."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, TypeVar, cast

import strawberry

from connectors.base import Source
from schema.citizen.types import Citizen, Family
from schema.context import Info
from schema.entities import Service, service
from schema.errors import BadUserInput, HubError
from schema.identity import loading as identity
from schema.identity import review
from schema.scalars import NIK
from schema.selection import Plan
from schema.sources import PRODUCTS, CircuitState, SourceStatus, SourceSystem

if TYPE_CHECKING:
    from schema.antrian.types import ServiceCentre
    from schema.apk.types import DistrictServiceType
    from schema.identity.review import ReviewCase, ReviewQueue
    from schema.identity.types import IdentityMatch

T = TypeVar("T")


@strawberry.type
class Query:
    @strawberry.field(description="One citizen by NIK; null when SIAK does not know the NIK.")
    async def citizen(self, info: Info, nik: NIK) -> Citizen | None:
        return _answer((await info.context.federation.citizens([nik], Plan.of(info)))[0])

    @strawberry.field(
        description="The citizen a citizen token belongs to; FORBIDDEN (not_a_citizen) for a"
        " partner, who asks citizen(nik:)"
    )
    async def me(self, info: Info) -> Citizen | None:
        viewer = info.context.viewer
        if viewer is None or viewer.nik is None:
            return None
        return _answer((await info.context.federation.citizens([viewer.nik], Plan.of(info)))[0])

    @strawberry.field(
        description="Several citizens at once (at most 100, checked with the operation's"
        " access decision): order kept, null where unknown."
    )
    async def citizens(self, info: Info, niks: list[NIK]) -> list[Citizen | None]:
        # A refused item is its FORBIDDEN error, which graphql-core raises in its place.
        return cast(
            "list[Citizen | None]",
            await info.context.federation.citizens(list(niks), Plan.of(info)),
        )

    @strawberry.field(description="A family card (Kartu Keluarga) by its 16-digit number.")
    async def family(self, info: Info, family_card_number: str) -> Family | None:
        card = "".join(family_card_number.split())
        if len(card) != 16 or not card.isdigit():
            raise BadUserInput(
                "familyCardNumber (nomor KK) must be 16 digits", rule="family_card_number"
            )
        return _answer((await info.context.federation.families([card], Plan.of(info)))[0])

    @strawberry.field(
        description="Whom an identifier held by one system belongs to: a NIP, NISN, NPWP,"
        " phone, family card, registration or request number, or queue ticket id, as that"
        " system writes it. Several candidates with their confidence where it is not certain."
    )
    async def resolve_identity(
        self,
        info: Info,
        system: SourceSystem,  # type: ignore[valid-type]
        identifier: str,
    ) -> Annotated[IdentityMatch, strawberry.lazy("schema.identity.types")] | None:
        return await identity.resolve_identity(
            info.context.federation, system, identifier, Plan.of(info)
        )

    identity_review_queue: (
        Annotated[ReviewQueue, strawberry.lazy("schema.identity.review")] | None
    ) = strawberry.field(
        resolver=review.review_queue,
        description="The data steward's queue (identity:steward): CONFLICTED and SUGGESTED"
        " links no one has decided, by product and record; narrowed to one product or"
        " one citizen (then with the walk-ins matched to them as certain, which a steward"
        " may reject); `first` (default 50) at most the NIK cap. Every NIK shown is"
        " logged and charged like any citizen read.",
    )
    identity_review_item: (
        Annotated[ReviewCase, strawberry.lazy("schema.identity.review")] | None
    ) = strawberry.field(
        resolver=review.review_item,
        description="A link of the crosswalk by its id (identity:steward) and every other"
        " link of its record, with their evidence and any decision taken",
    )

    @strawberry.field(description="Each connector's reachability and circuit-breaker state.")
    async def sources(self, info: Info) -> list[SourceStatus]:
        return list(await asyncio.gather(*(_status(info, s) for s in Source)))

    @strawberry.field(description="Antrian catalogue: service centres, their services and days.")
    async def service_centres(
        self, info: Info
    ) -> list[Annotated[ServiceCentre, strawberry.lazy("schema.antrian.types")]]:
        return await info.context.federation.service_centres()

    @strawberry.field(description="APK catalogue: the district services one can request.")
    async def district_service_types(
        self, info: Info
    ) -> list[Annotated[DistrictServiceType, strawberry.lazy("schema.apk.types")]]:
        return await info.context.federation.district_service_types()

    # Apollo Federation's _service, printed once per schema (strawberry's prints per call).
    service_sdl: Service = strawberry.field(
        name="_service",
        resolver=service,
        description="Apollo Federation v2: the SDL a gateway composes; switched off with"
        " introspection",
    )


def _answer(value: T | HubError) -> T:
    """The loaded value, or the error the loading layer answered with instead."""
    if isinstance(value, HubError):
        raise value
    return value


async def _status(info: Info, source: Source) -> SourceStatus:
    guard = info.context.guard
    latency = await guard.reachability(source, info.context.sources[source].ping)
    return SourceStatus(
        system=source,
        product=PRODUCTS[source],
        reachable=latency is not None,
        latency_ms=latency,
        circuit=CircuitState(await guard.state(source)),
    )
