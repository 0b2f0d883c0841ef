"""The crosswalk as GraphQL types: LinkedIdentifier, IdentityMatch, IdentityCandidate."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.identity.enums import IdentifierKind, LinkMethod, LinkStatus
from schema.scalars import NIK
from schema.sources import SourceSystem

if TYPE_CHECKING:
    from schema.citizen.types import Citizen


@strawberry.type(
    description="An identifier one of the products holds for this citizen, with its provenance:"
    " where it was found, how it was linked and how surely."
)
class LinkedIdentifier:
    kind: IdentifierKind
    value: str = strawberry.field(
        description="canonical: 16-digit NPWP, 08… phone, NIP without spaces"
    )
    system: SourceSystem = strawberry.field(  # type: ignore[valid-type]
        description="the product that holds it"
    )
    record: str = strawberry.field(
        name="sourceRecord",
        description="the row it was found in, table:key (e.g. pelamar:2436710000123)",
    )
    method: LinkMethod
    confidence: float = strawberry.field(description="1 for EXACT; less where derived or matched")
    via: str | None = strawberry.field(
        description="how a DERIVED or MATCHED link was made (e.g. SIKDA NIP, phone and name)"
    )
    linked_at: datetime = strawberry.field(description="when the crosswalk first linked it")
    last_seen: datetime | None = strawberry.field(
        description="the latest identity sync, which found it still there"
    )


@strawberry.type(
    description="One record of the system linking the identifier to a candidate, as that"
    " record's own link stands."
)
class IdentityRecord:
    record: str = strawberry.field(
        name="sourceRecord", description="the row, table:key (e.g. tiket:100508)"
    )
    method: LinkMethod
    confidence: float
    status: LinkStatus = strawberry.field(
        description="this record's link: CERTAIN (or accepted by a data steward), or in doubt"
    )
    evidence: str | None = strawberry.field(
        description="why this record's link is not certain (no personal data)"
    )


@strawberry.type(description="A citizen an identifier may belong to, and how surely.")
class IdentityCandidate:
    nik: NIK
    citizen: Annotated[Citizen, strawberry.lazy("schema.citizen.types")] | None = strawberry.field(
        description="null when SIAK does not know the NIK (e.g. registered outside the city)"
    )
    method: LinkMethod = strawberry.field(description="the strongest way it was linked")
    confidence: float
    via: str | None
    status: LinkStatus = strawberry.field(
        description="CERTAIN, or a candidate for a data steward (CONFLICTED, SUGGESTED)"
    )
    evidence: str | None = strawberry.field(
        description="why a link is not certain: what agreed and what did not (no personal data)"
    )
    source_records: list[str] = strawberry.field(
        description="the rows of the system that link the identifier to this NIK at the"
        " candidate's status: a record in doubt is never listed under a CERTAIN candidate"
        " (see records)"
    )
    records: list[IdentityRecord] = strawberry.field(
        description="every row of the system linking the identifier to this NIK, each with"
        " its own status, confidence and evidence, surest first"
    )


@strawberry.type(
    description="Whom an identifier of one system belongs to. Several candidates, each with"
    " its confidence, where it is not certain (a phone two people give, a NIK typed with"
    " a wrong digit): never one of them silently. No candidate: the system holds no"
    " record linking it to anyone."
)
class IdentityMatch:
    identifier: str = strawberry.field(description="as given")
    system: SourceSystem  # type: ignore[valid-type]
    kind: IdentifierKind = strawberry.field(description="what the identifier was read as")
    value: str = strawberry.field(description="its canonical form")
    candidates: list[IdentityCandidate] = strawberry.field(description="surest first")
