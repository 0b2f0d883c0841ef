"""The disclosure log as a citizen reads it (UU 27/2022: the data subject's trail).

Three views of the same rows: ``accessLog`` (the newest rows, a plain list),
``accessHistory`` (a page of rows with a cursor to the older ones, to walk the whole
log) and ``accessSummary`` (every row folded by client and purpose, so a partner that
asks a thousand times is one line beside every other agency that asked once).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import TYPE_CHECKING, Any

import strawberry

from schema.errors import BadUserInput

if TYPE_CHECKING:
    from schema.selection import Plan

_CURSOR_PREFIX = "disclosure:"


def encode_cursor(seq: int) -> str:
    """An opaque cursor naming one row of the log (its place in the table's order)."""
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{seq}".encode()).decode()


def decode_cursor(cursor: str, argument: str = "before") -> int:
    """The row a cursor names; a clear error naming ``argument`` when it is not one."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
        if text.startswith(_CURSOR_PREFIX):
            seq = int(text.removeprefix(_CURSOR_PREFIX))
            if 0 < seq < 2**63:  # a bigint: past it the database would refuse the read
                return seq
    except (UnicodeError, ValueError, binascii.Error):
        pass
    raise BadUserInput(
        f"{argument} is not a cursor of the access log: pass a Disclosure.cursor or"
        " AccessHistory.nextCursor as the hub returned it",
        rule="access_log_cursor",
    )


@strawberry.type(description="One disclosure of this citizen's data: who, when, why, what.")
class Disclosure:
    at: datetime = strawberry.field(description="when the answer was sent")
    client_id: str | None = strawberry.field(description="the partner or app that asked")
    purpose: str | None = strawberry.field(description="the purpose it declared")
    request_id: str = strawberry.field(description="to quote when asking the hub about it")
    sources: list[str] = strawberry.field(description="the products the data came from")
    fields: list[str] = strawberry.field(description="the fields shown")
    consent_id: strawberry.ID | None = strawberry.field(
        description="the citizen's consent the app read under (Consent.id); null for a"
        " partner agency and for the city's own apps"
    )

    @strawberry.field(
        description="this row's place in the log: pass it as `before` to read the rows older"
        " than it (opaque)"
    )
    def cursor(self, root: strawberry.Parent[Any]) -> str:
        return encode_cursor(root.seq)


@strawberry.type(
    description="A page of the access log, newest first, and the way to the older rows."
)
class AccessHistory:
    entries: list[Disclosure] = strawberry.field(description="the page's disclosures")
    has_more: bool = strawberry.field(description="whether rows older than this page exist")
    next_cursor: str | None = strawberry.field(
        description="pass as `before` to read the next (older) page; null on the last page"
    )


@strawberry.type(
    description="Every disclosure of this citizen to one client for one purpose, as one line"
)
class AccessSummaryLine:
    client_id: str | None = strawberry.field(description="the partner or app that asked")
    purpose: str | None = strawberry.field(description="the purpose it declared")
    reads: int = strawberry.field(description="how many requests showed this citizen's data")
    first_at: datetime = strawberry.field(description="the first of them")
    last_at: datetime = strawberry.field(description="the latest of them")
    sources: list[str] = strawberry.field(description="every product the data came from")
    fields: list[str] = strawberry.field(description="every field shown, in any of them")


# A page holds at most ACCESS_LOG_MAX rows (ACCESS_LOG_DEFAULT unless asked): the rest
# are reached by paging with ``before``, or counted in ``accessSummary``.
ACCESS_LOG_DEFAULT = 20
ACCESS_LOG_MAX = 200
# The fields of a citizen read from the disclosure log (one read serves them all).
ACCESS_LOG_FIELDS = ("accessLog", "accessHistory", "accessSummary")


def page_of(found: Any, last: int) -> list[Any]:
    """The newest ``last`` rows of what was read (it holds one more when there are older).

    ``last`` outside 1..ACCESS_LOG_MAX is refused, on this field alone, rather than cut
    to fit: an empty or shortened page would read as a log with nothing older in it.
    """
    if not 1 <= last <= ACCESS_LOG_MAX:
        raise BadUserInput(
            f"last must be between 1 and {ACCESS_LOG_MAX}: page back with `before` for older rows",
            rule="access_log_last",
            field="last",
        )
    entries: list[Any] = found.entries
    return entries[:last]


def history_of(found: Any, last: int) -> AccessHistory:
    page = page_of(found, last)
    more = len(found.entries) > len(page)
    return AccessHistory(
        entries=page,
        has_more=more,
        next_cursor=encode_cursor(page[-1].seq) if more and page else None,
    )


def summary_of(found: Any) -> list[AccessSummaryLine]:
    return [
        AccessSummaryLine(
            client_id=g.client_id,
            purpose=g.purpose,
            reads=g.reads,
            first_at=g.first_at,
            last_at=g.last_at,
            sources=sorted(g.sources),
            fields=sorted(g.fields),
        )
        for g in found.groups or ()
    ]


def refused_pages(plan: Plan) -> set[str]:
    """The paged log fields whose every selection asks for a ``last`` outside
    1..ACCESS_LOG_MAX: each is refused (:func:`page_of`) and shows nothing of the log."""
    return {
        f
        for f in ("accessLog", "accessHistory")
        if (lasts := plan.arguments(f, "last"))
        and all(isinstance(n, int) and not 1 <= n <= ACCESS_LOG_MAX for n in lasts)
    }


def log_read_of(plan: Plan) -> tuple[int, int | None, bool]:
    """What one read of the log must fetch for every selection of a citizen's log fields:
    ``(rows, before, summary)``.

    The most rows any alias asks for (each slices its own) and one more, which tells
    accessHistory whether older rows remain; the one ``before`` they share (two pages in
    one request are refused: one statement reads one page); the summary when selected.
    """
    paged = ("accessLog", "accessHistory")
    wanted = [
        n
        for f in paged
        for n in plan.arguments(f, "last")
        if isinstance(n, int) and 1 <= n <= ACCESS_LOG_MAX  # the others are refused
    ]
    if any(None in plan.arguments(f, "last") for f in paged):
        wanted.append(ACCESS_LOG_DEFAULT)
    last = max(wanted, default=0)
    cursors = {c for f in paged for c in plan.arguments(f, "before")}
    if len(cursors) > 1:
        raise BadUserInput(
            "accessLog and accessHistory read one page of the log per request: give"
            " them the same `before`",
            rule="access_log_cursor",
        )
    cursor = next(iter(cursors), None)
    before = None if cursor is None else decode_cursor(str(cursor))
    return (last + 1 if last > 0 else 0), before, plan.wants("accessSummary")
