"""The crosswalk's enums as GraphQL enums (registered once, used by several types)."""

from __future__ import annotations

import strawberry

from identity.kinds import IdentifierKind, LinkMethod, LinkStatus

strawberry.enum(
    IdentifierKind,
    description="What an identifier is: NIK, family card (KK), NIP, NISN, NPWP, phone, or a"
    " product's own record number (PSB and CPNS registration, APK request, queue ticket id).",
)
strawberry.enum(
    LinkMethod,
    description="How an identifier was tied to a NIK. EXACT: the source record carries the"
    " NIK. DERIVED: through another system (a NIP through SIKDa, a vendor's NPWP through its"
    " directors, a parent's phone through the family card). MATCHED: by a rule, such as a"
    " walk-in's phone given elsewhere with a NIK.",
)

strawberry.enum(
    LinkStatus,
    description="How far a link may be trusted. CERTAIN: served as the citizen's."
    " CONFLICTED: the record carries the NIK, but the name it gives is clearly not that of"
    " the NIK's holder in SIAK; kept for a data steward, never the citizen's until one"
    " accepts it. SUGGESTED: what the record likely meant (a NIK one typo from a"
    " registered one whose holder has the record's name), a candidate to review.",
)

__all__ = ["IdentifierKind", "LinkMethod", "LinkStatus"]
