"""The access step of every operation: who asks, what they may see, what was disclosed.

Runs as a strawberry extension around execution (``on_execute``), once per
operation:

1. refuse the request outright when authentication or purpose failed
   (UNAUTHENTICATED with HTTP 401, FORBIDDEN), or when an anonymous caller asks
   for more than the schema and the public catalogues;
2. check the caller's request rate and charge the NIKs the operation names
   against its distinct-NIK budget (LIMIT_EXCEEDED);
3. decide per field with :mod:`schema.policy` and execute the pruned operation;
4. put nulls and FORBIDDEN errors where fields were denied;
5. write the disclosure log for every citizen in the answer — before the answer
   leaves; if that fails, no citizen data is returned (AUDIT_UNAVAILABLE).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension

from schema.errors import AuditUnavailable, HubError, LimitExceeded
from schema.policy import (
    Decision,
    Relation,
    Viewer,
    anonymous_may_run,
    decide,
    oversized_batch,
    root_niks,
    walk,
)

if TYPE_CHECKING:
    from schema.context import Context

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is refused before anything runs, and how HTTP should say it."""

    code: str  # UNAUTHENTICATED | FORBIDDEN
    message: str
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    extensions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Disclosed:
    """What one request showed of one citizen."""

    fields: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)


class DisclosureSink(Protocol):
    """Where disclosures go (hub.audit's log); raises on failure."""

    async def record(
        self, request_id: str, viewer: Viewer, disclosed: Mapping[str, Disclosed]
    ) -> None: ...

    async def access_log(self, niks: Sequence[str], last: int) -> dict[str, list[Any]]:
        """The ``last`` disclosures of each NIK, newest first (one statement)."""
        ...


class Limiter(Protocol):
    """Per-client request rate and distinct-NIK budget (hub.limits); raise LimitExceeded."""

    async def check_request(self, client_id: str) -> None: ...

    async def charge_niks(self, client_id: str, niks: Sequence[str]) -> None: ...


class AccessPolicy(SchemaExtension):
    """Decide, execute, mask, record: see the module docstring."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context: Context = execution.context
        document = execution.graphql_document
        if document is None:  # nothing to execute: parsing failed
            yield
            return
        variables = dict(execution.variables or {})
        visits = list(walk(execution.schema._schema, document, execution.operation_name, variables))
        refusal = context.refusal
        if refusal is None and context.viewer is None and not anonymous_may_run(visits):
            refusal = context.unauthenticated("a bearer access token is required")
        if refusal is not None:
            context.refuse(refusal)
            execution.result = _refused(refusal)
            yield
            return

        decision: Decision | None = None
        viewer = context.viewer
        if viewer is not None:
            try:
                # Before any NIK is charged to the caller's budget: an oversized
                # batch is refused whole and costs nothing.
                limit = context.limits.max_citizens
                size = oversized_batch(visits, variables, limit)
                if size is not None:
                    raise LimitExceeded(
                        f"citizens takes at most {limit} NIKs per call, got {size}",
                        limit="batch_size",
                        maximum=limit,
                    )
                if context.limiter is not None and viewer.client_id:
                    await context.limiter.check_request(viewer.client_id)
                    named = sorted(root_niks(visits, variables))
                    if named:
                        await context.limiter.charge_niks(viewer.client_id, named)
                relations, own_card = await context.federation.relate(viewer, visits, variables)
            except HubError as exc:
                execution.result = ExecutionResult(
                    data=None, errors=[GraphQLError(str(exc), extensions=exc.extensions)]
                )
                yield
                return
            decision = decide(viewer, visits, document, variables, relations, own_card)
            execution.graphql_document = decision.document
        yield
        result = execution.result
        if not isinstance(result, ExecutionResult):
            return
        errors = list(result.errors or [])
        if decision is not None and decision.denials:
            result.data = decision.apply(result.data, errors)
        if viewer is not None and context.federation.disclosed and context.audit is not None:
            try:
                await context.audit.record(context.request_id, viewer, context.federation.disclosed)
            except Exception as exc:
                # No citizen data leaves without its disclosure on record.
                log.error(
                    "request %s: disclosure log not written (%s); data withheld",
                    context.request_id,
                    type(exc).__name__,
                )
                refused = AuditUnavailable(
                    "the disclosure log could not be written, so no citizen data is"
                    " returned; try again later"
                )
                # In place: strawberry returns this result object, not execution.result.
                result.data = None
                result.errors = [GraphQLError(str(refused), extensions=refused.extensions)]
                return
        result.errors = errors or None


def _refused(refusal: Refusal) -> ExecutionResult:
    return ExecutionResult(
        data=None,
        errors=[
            GraphQLError(
                refusal.message, extensions={"code": refusal.code, **dict(refusal.extensions)}
            )
        ],
    )


__all__ = ["AccessPolicy", "Disclosed", "DisclosureSink", "Limiter", "Refusal", "Relation"]
