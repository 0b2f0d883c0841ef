"""The data steward's review queue in the graph: the links in doubt, their evidence, and
accepting or rejecting one with a reason (``identity:steward``).

The queue, the evidence and the decisions are :mod:`connectors.crosswalk.review`'s, the same
the ``citizen-hub identity review`` command runs. What the graph adds is the access
rule every read has: each NIK a steward is shown (the citizen a link points at, a
NIK typed in the record, a NIK in the record's key) is a disclosure, written to the
log and charged to the budget before the answer leaves, and nothing leaves when the
log cannot be written.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry

from connectors.base import Source, Store
from connectors.crosswalk import review
from identity.kinds import IdentifierKind, LinkMethod, LinkStatus
from identity.nik import NIK as ParsedNIK
from identity.nik import InvalidNIK
from schema.errors import AuditUnavailable, BadUserInput, Forbidden
from schema.scalars import NIK
from schema.selection import Plan
from schema.sources import SourceSystem
from schema.viewing import disclose

if TYPE_CHECKING:
    from connectors.crosswalk.review import Connection
    from schema.federation import Federation

T = TypeVar("T")
# ``strawberry.Info``, not schema.context's Info: schema.context imports this module
# (through schema.federation and schema.query) and resolver annotations are read at runtime.
Info = strawberry.Info[Any, Any]
QUEUE_DEFAULT = 50
REASON_MAX = 500  # identity_decisions.reason's check
_SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")
# What an item shows of its person: the NIK, the identifier's value (a phone, a NISN),
# the record, the evidence (names agree, a birth year off). Any of them is a disclosure of
# the item's NIK, shown or not; id, system, kind, method, status, confidence are not.
_NIK_FIELDS = ("nik", "value", "sourceRecord", "evidence")


@strawberry.enum(
    description="What a data steward decided about a link in doubt or a walk-in matched by phone."
)
class ReviewDecision(enum.Enum):
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


@strawberry.type(
    description="A link of the identity crosswalk as a data steward reviews it: the record,"
    " the identifier it holds, the citizen it points at, and the evidence that kept it"
    " from being certain."
)
class ReviewItem:
    id: strawberry.ID = strawberry.field(
        description="the link's id (hex): what acceptIdentityLink and rejectIdentityLink take;"
        " `citizen-hub identity review` takes its first 8 or more digits"
    )
    system: SourceSystem = strawberry.field(  # type: ignore[valid-type]
        description="the product whose record it is"
    )
    record: str = strawberry.field(
        name="sourceRecord", description="the row, table:key (e.g. pendaftar:PSB-2025-000123)"
    )
    kind: IdentifierKind
    value: str = strawberry.field(description="the identifier as the record holds it, canonical")
    nik: NIK = strawberry.field(description="the citizen the link points at")
    method: LinkMethod
    status: LinkStatus
    confidence: float
    via: str | None = strawberry.field(description="how a DERIVED or MATCHED link was made")
    evidence: str | None = strawberry.field(
        description="what agreed and what did not (name, birth date, sex; no personal data)"
    )
    decision: ReviewDecision | None = strawberry.field(
        description="the steward's decision on the link as it stands; null while undecided"
    )


@strawberry.type(description="The links waiting for a data steward, by product and record.")
class ReviewQueue:
    total: int = strawberry.field(description="how many links wait (with the filters given)")
    items: list[ReviewItem] = strawberry.field(description="the first of them, by record")


@strawberry.type(description="A link of the crosswalk and every other link of the same record.")
class ReviewCase:
    item: ReviewItem
    record_links: list[ReviewItem] = strawberry.field(
        description="every link of the item's record, surest first, the item among them:"
        " the evidence side by side"
    )


async def review_queue(
    info: Info,
    system: SourceSystem | None = None,  # type: ignore[valid-type]
    nik: NIK | None = None,
    first: int | None = None,
) -> ReviewQueue | None:
    """``identityReviewQueue``: what waits, optionally of one product or one citizen."""
    federation = _steward(info)
    most = info.context.limits.max_citizens
    if first is None:
        first = min(QUEUE_DEFAULT, most)
    if not 1 <= first <= most:
        # Every item shows a NIK: the page is bounded like citizens(niks:).
        raise BadUserInput(f"first must be between 1 and {most}", rule="first", field="first")
    if nik is not None:
        # Asking about a NIK says something about it (how many of its links are in doubt),
        # doubts found or not: logged and charged, as citizen(nik:) { __typename } is.
        disclose(federation.disclosed, nik, {"identityReviewQueue"})
    source = Source(system) if system is not None else None
    total, pending = await _hub(
        federation,
        lambda conn: review.queue(
            conn, system=source.value if source else None, limit=first, nik=nik
        ),
    )
    shows = _nik_fields(Plan.of(info).child("items"))
    items = [_shown(federation, p, "identityReviewQueue", shows) for p in pending]
    return ReviewQueue(total=total, items=items)


async def review_item(info: Info, id: strawberry.ID) -> ReviewCase | None:
    """``identityReviewItem``: a link and the rest of its record, with their evidence."""
    federation = _steward(info)
    link, record = await _hub(federation, lambda conn: review.show(conn, id))
    plan = Plan.of(info)
    item, links = _nik_fields(plan.child("item")), _nik_fields(plan.child("recordLinks"))
    return ReviewCase(
        item=_shown(federation, link, "identityReviewItem", item),
        record_links=[_shown(federation, p, "identityReviewItem", links) for p in record],
    )


async def accept_identity_link(info: Info, id: strawberry.ID, reason: str) -> list[ReviewItem]:
    """``acceptIdentityLink``: serve the link as the citizen's while its evidence holds."""
    return await _decide(info, id, reason, review.ACCEPTED, "acceptIdentityLink")


async def reject_identity_link(info: Info, id: strawberry.ID, reason: str) -> list[ReviewItem]:
    """``rejectIdentityLink``: remove the link; no later sync brings it back."""
    return await _decide(info, id, reason, review.REJECTED, "rejectIdentityLink")


async def _decide(
    info: Info, id: strawberry.ID, reason: str, decision: str, field: str
) -> list[ReviewItem]:
    federation = _steward(info)
    if not reason.strip() or len(reason.strip()) > REASON_MAX:
        raise BadUserInput(
            f"reason: say why, in 1 to {REASON_MAX} characters: it is kept with the decision",
            rule="reason",
            field="reason",
        )
    if info.context.audit is None:
        # Checked before the write: a decision whose answer could not be logged would
        # be taken and not shown.
        raise AuditUnavailable("the disclosure log is not connected; no decision taken")
    viewer = info.context.viewer
    assert viewer is not None
    decided = await _hub(
        federation,
        lambda conn: review.decide(conn, id, decision, reason, viewer.limit_key),
    )
    shows = _nik_fields(Plan.of(info))
    return [_shown(federation, replace(p, decision=decision), field, shows) for p in decided]


def _steward(info: Info) -> Federation:
    """The federation, for a partner token: the access decision already required the
    scope; a citizen token is refused here too, whatever scopes it carries."""
    viewer = info.context.viewer
    if viewer is None or viewer.is_citizen:
        raise Forbidden(
            "the identity review queue is the data steward's, not a citizen's", reason="citizen"
        )
    federation: Federation = info.context.federation
    return federation


async def _hub(federation: Federation, work: Callable[[Connection], Awaitable[T]]) -> T:
    """Run ``work`` on one connection of the hub's database, through its guard.

    A ReviewError (an id that names no link, a missing reason) comes back as the value
    and is raised outside the guard: the caller's mistake, not the database failing.
    """

    async def run(db: Any, _: object) -> T | review.ReviewError:
        try:
            async with db.pool.acquire() as conn:
                return await work(conn)
        except review.ReviewError as exc:
            return exc

    result = await federation.read(Store.HUB, run, ())
    if isinstance(result, review.ReviewError):
        raise BadUserInput(str(result), rule="review_link", field="id")
    return result


def _nik_fields(plan: Plan) -> frozenset[str]:
    """Which of a ReviewItem's fields that show something of its person the answer selects
    (``items { id status }`` shows nothing of anyone)."""
    return frozenset(f for f in _NIK_FIELDS if plan.wants(f))


def _shown(
    federation: Federation, pending: review.Pending, field: str, shows: frozenset[str]
) -> ReviewItem:
    """The item as the steward sees it, every NIK its selected fields show noted as
    disclosed."""
    system = Source(pending.system)
    seen: set[str] = set()
    if shows:
        seen.add(pending.nik)
    if "value" in shows and pending.kind in (IdentifierKind.NIK.value, IdentifierKind.NPWP.value):
        seen.add(pending.value)
    if "sourceRecord" in shows:
        seen.update(_SIXTEEN_DIGITS.findall(pending.record))
    for nik in seen:
        if nik == pending.nik or _is_nik(nik):
            disclose(federation.disclosed, nik, {field}, system.name)
    return ReviewItem(
        id=strawberry.ID(pending.id),
        system=system,
        record=pending.record,
        kind=IdentifierKind(pending.kind),
        value=pending.value,
        nik=pending.nik,  # type: ignore[arg-type]
        method=LinkMethod(pending.method),
        status=LinkStatus(pending.status),
        confidence=pending.confidence,
        via=pending.via,
        evidence=pending.evidence,
        decision=ReviewDecision(pending.decision) if pending.decision else None,
    )


def _is_nik(text: str) -> bool:
    try:
        ParsedNIK.parse(text)
    except InvalidNIK:
        return False
    return True
