"""Charge and record what an operation disclosed, before its answer leaves.

Used by the pipeline after an operation executes, and by a subscription when it
starts (its events are answered long after the operation's execution step).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from schema.errors import AuditUnavailable

if TYPE_CHECKING:
    from schema.execution.ports import Disclosed, DisclosureSink, Limiter, Viewer

log = logging.getLogger(__name__)


class Shown(Protocol):
    """What an operation showed: the request's loader keeps it as it builds citizens."""

    @property
    def disclosed(self) -> dict[str, Disclosed]: ...  # what of each citizen, by NIK

    @property
    def looked_up(self) -> set[str]: ...  # every NIK named and let through, found or not


class Operation(Protocol):
    """What charging and recording need of an operation (its
    :class:`~schema.context.Context`, which imports this module)."""

    @property
    def viewer(self) -> Viewer | None: ...

    @property
    def federation(self) -> Shown: ...

    @property
    def limiter(self) -> Limiter | None: ...

    @property
    def audit(self) -> DisclosureSink | None: ...

    @property
    def request_id(self) -> str: ...


async def charge_and_record(context: Operation) -> None:
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
