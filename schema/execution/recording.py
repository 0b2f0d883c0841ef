"""Charge and record what an operation disclosed, before its answer leaves.

Used by the pipeline after an operation executes, and by a subscription when it
starts (its events are answered long after the operation's execution step).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from schema.errors import AuditUnavailable

if TYPE_CHECKING:
    from schema.context import Context

log = logging.getLogger(__name__)


async def charge_and_record(context: Context) -> None:
    """Charge the caller's budget and write the disclosure log for this operation.

    Charged: every citizen shown, and every NIK the caller looked up even where no
    one has it (that answer, too, says something about the NIK). Raises
    LimitExceeded past the budget and AuditUnavailable when the log cannot be
    written: either way, no citizen data may leave.
    """
    viewer = context.viewer
    federation = context.federation
    disclosed = federation.disclosed
    charged = disclosed.keys() | federation.looked_up
    if viewer is None or not charged:
        return
    if context.limiter is not None:
        await context.limiter.charge_niks(viewer.limit_key, sorted(charged))
    if not disclosed:
        return
    if context.audit is None:
        raise AuditUnavailable("the disclosure log is not connected; no citizen data")
    try:
        await context.audit.record(context.request_id, viewer, disclosed)
    except Exception as exc:
        log.error(
            "request %s: disclosure log not written (%s); data withheld",
            context.request_id,
            type(exc).__name__,
        )
        raise AuditUnavailable(
            "the disclosure log could not be written, so no citizen data is returned;"
            " try again later"
        ) from None
