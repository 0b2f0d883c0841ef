"""What each GraphQL operation leaves behind for the operators: metrics, a span, a log line.

:class:`ObservedOperation` is a strawberry extension placed before the operation
pipeline, so it times the whole operation, refusals included, over HTTP and websockets
alike. When the operation ends it knows its (bounded) name, the client, the outcome and
the sources read, and hands them to :mod:`hub.metrics`, to the operation's span
(:mod:`hub.telemetry`), and to the log: over HTTP through :data:`OPERATION_FACTS` to the
access log line of the request (:mod:`hub.access_log`), over a websocket as a line of
its own on ``citizen_hub.operations`` (a socket's access line comes only when it closes).

The operation's name is a label only when the operators chose it: a registered
document's (:func:`hub.metrics.operation_names`); anything else is ``other``. An
answer carrying an ``INTERNAL`` error, or none at all, is ``internal``.

Nothing here reads variables, the query text or the answer's data: no NIK, name or phone
can reach a metric, a span or a log line this way.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import hdrs, web
from graphql import OperationDefinitionNode
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from hub import metrics
from hub.access import AuditSink
from hub.telemetry import CLIENT, OPERATION, OPERATION_TYPE, OUTCOME, REQUEST_ID, SOURCES, Tracing
from schema.execution.trusted import DocumentRef

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from graphql import GraphQLError
    from opentelemetry.trace import Span

    from connectors.base import Source, Store
    from schema.execution.ports import Disclosed, Viewer
    from schema.guard import SourceGuard

log = logging.getLogger("citizen_hub.operations")

# The codes an outcome may be named by; any other is "error" (the label stays bounded).
KNOWN_CODES = frozenset(
    {
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "LIMIT_EXCEEDED",
        "BAD_USER_INPUT",
        "PERSISTED_QUERY_NOT_FOUND",
        "SOURCE_UNAVAILABLE",
        "SOURCE_TIMEOUT",
        "AUDIT_UNAVAILABLE",
        "INTERNAL",
    }
)


TOO_LARGE = 413
INTERNAL = "internal"
# What strawberry raises out of an operation for it to answer as a bad request.
CLIENT_MISTAKES = (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError)
REQUEST_SIZE = "request_size"  # the limit label of a body or variables past their cap


@dataclass(slots=True)
class OperationFacts:
    """What the access log line of an HTTP request adds about its GraphQL operation."""

    operation: str | None = None
    client: str | None = None
    outcome: str | None = None

    def as_log_fields(self) -> dict[str, str]:
        return {
            "operation": self.operation or "-",
            "client": self.client or "-",
            "outcome": self.outcome or "-",
        }


OPERATION_FACTS = web.RequestKey("operation_facts", OperationFacts)
_CURRENT_FACTS: contextvars.ContextVar[OperationFacts | None] = contextvars.ContextVar(
    "operation_facts", default=None
)


@web.middleware
async def observe_requests(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Gives the request a place for its operation's facts, and counts open websockets and
    bodies refused as too large (413: no operation ran to count them)."""
    facts = OperationFacts()
    request[OPERATION_FACTS] = facts
    token = _CURRENT_FACTS.set(facts)
    socket = request.headers.get(hdrs.UPGRADE, "").lower() == "websocket"
    if socket:
        metrics.WEBSOCKETS.inc()
    try:
        response = await handler(request)
        if response.status == TOO_LARGE:
            metrics.LIMIT_REFUSALS.labels(REQUEST_SIZE).inc()
        return response
    except web.HTTPException as exc:
        if exc.status == TOO_LARGE:
            metrics.LIMIT_REFUSALS.labels(REQUEST_SIZE).inc()
        raise
    finally:
        if socket:
            metrics.WEBSOCKETS.dec()
        _CURRENT_FACTS.reset(token)


def client_of(viewer: Viewer | None) -> str:
    """The client label of a caller: its client id (bounded), ``citizen`` or ``anonymous``."""
    if viewer is None:
        return metrics.ANONYMOUS
    if viewer.client_id is None:
        return "citizen" if viewer.is_citizen else metrics.OTHER
    return metrics.client_label(viewer.client_id)


def outcome_of(data: object, errors: list[GraphQLError]) -> str:
    """``ok``, ``partial`` (data with errors), or the first error's code (bounded);
    ``internal`` whenever any error is the hub's own failure, data or not."""
    if any((e.extensions or {}).get("code") == "INTERNAL" for e in errors):
        return INTERNAL
    if not errors:
        return "ok"
    if data is not None:
        return "partial"
    code = (errors[0].extensions or {}).get("code")
    return code.lower() if isinstance(code, str) and code in KNOWN_CODES else "error"


class ObservedOperation(SchemaExtension):
    """Times and counts one operation; see the module docstring. Made per operation by
    strawberry through :func:`observed_operation`, which gives it the app's tracing."""

    def __init__(self, tracing: Tracing) -> None:
        self.tracing = tracing

    async def on_operation(self) -> AsyncIterator[None]:
        started = time.perf_counter()
        # Before the pipeline swaps a registered document's id for its text.
        self.registered = isinstance(self.execution_context.query, DocumentRef)
        span = self.tracing.operation()
        scope = self.tracing.activate(span)
        scope.__enter__()
        crashed: str | None = None
        try:
            yield
        except CLIENT_MISTAKES:
            crashed = "bad_user_input"  # strawberry answers these itself, as a 400
            raise
        except (asyncio.CancelledError, GeneratorExit):
            crashed = "cancelled"  # the caller left (a socket closed) before the answer
            raise
        except Exception:
            crashed = INTERNAL  # the pipeline itself failed: no answer of its making
            raise
        finally:
            try:
                scope.__exit__(None, None, None)
                self._finish(time.perf_counter() - started, span, crashed)
            except Exception:
                # What the operators read must never cost the caller the answer.
                log.exception("the metrics and span of an operation could not be recorded")

    def _finish(self, seconds: float, span: Span | None, crashed: str | None = None) -> None:
        execution = self.execution_context
        context = execution.context
        result = execution.result
        errors = list(getattr(result, "errors", None) or execution.pre_execution_errors or [])
        data = getattr(result, "data", None)
        viewer = getattr(context, "viewer", None)
        operation = metrics.operation_names(
            self._name(execution), registered=getattr(self, "registered", False)
        )
        client = client_of(viewer)
        operation_type = _operation_type(execution)
        if crashed is not None:
            outcome = crashed
        elif result is None and not errors and operation_type != "subscription":
            # Nothing answered and nothing said why: a failure, never a success.
            outcome = INTERNAL
        else:
            outcome = outcome_of(data, errors)
        metrics.REQUESTS.labels(operation, client, outcome).inc()
        metrics.REQUEST_SECONDS.labels(operation).observe(seconds)
        for error in errors:
            extensions = error.extensions or {}
            if extensions.get("code") == "LIMIT_EXCEEDED":
                limit = extensions.get("limit")
                metrics.LIMIT_REFUSALS.labels(
                    metrics.limit_label(limit if isinstance(limit, str) else None, missing="other")
                ).inc()
        request_id = str(getattr(context, "request_id", "-"))
        seen = getattr(context, "seen", None)
        sources = sorted(s.name for s in seen.calls) if seen is not None else []
        if span is not None:
            span.update_name(f"graphql {operation}")
            span.set_attributes(
                {
                    REQUEST_ID: request_id,
                    OPERATION: operation,
                    OPERATION_TYPE: operation_type,
                    CLIENT: client,
                    OUTCOME: outcome,
                    SOURCES: sources,
                }
            )
            span.end()
        if getattr(context, "transport", None) is None:  # HTTP: the access line tells it
            facts = _CURRENT_FACTS.get()
            if facts is not None:
                facts.operation, facts.client, facts.outcome = operation, client, outcome
            return
        fields = {
            "request_id": request_id,
            "operation": operation,
            "client": client,
            "outcome": outcome,
            "duration_ms": round(seconds * 1000, 1),
        }
        log.info(
            "websocket operation %s %s %.1fms client=%s request=%s",
            operation,
            outcome,
            fields["duration_ms"],
            client,
            request_id,
            extra=fields,
        )

    def _name(self, execution: Any) -> str | None:
        """The operation's name: for a registered document, as the document names it (a
        client's ``operationName`` counts only if it is one of them); else as sent. A
        refused operation's document was swapped for one without a name: its own name is
        then read from the head of its text."""
        if not getattr(self, "registered", False):
            return execution.operation_name or _named_in_text(execution.query)
        document = execution.graphql_document
        names = [
            d.name.value
            for d in (document.definitions if document is not None else ())
            if isinstance(d, OperationDefinitionNode) and d.name is not None
        ]
        asked = execution.operation_name
        if asked is not None:
            return asked if asked in names else None
        return names[0] if len(names) == 1 else None


_HEAD = re.compile(r"\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")


def _named_in_text(query: str | None) -> str | None:
    """The name at the head of a document that was refused before it was parsed (a bad
    token, the rate): read from its first characters only, so a refusal stays cheap."""
    found = _HEAD.match(query[:300]) if query else None
    return found.group(1) if found else None


def _operation_type(execution: Any) -> str:
    try:
        return str(execution.operation_type.value)
    except Exception:  # no document (a syntax error): no type to tell
        return "unknown"


def observed_operation(tracing: Tracing) -> Callable[[], ObservedOperation]:
    """What the schema's extensions list holds: a maker of one extension per operation."""

    def make() -> ObservedOperation:
        return ObservedOperation(tracing)

    return make


def source_observer(tracing: Tracing) -> Callable[[Source | Store, float, str, str], None]:
    """The guard's observer (:attr:`schema.guard.SourceGuard.observer`): metrics and a span."""

    def observe(source: Source | Store, seconds: float, status: str, circuit: str) -> None:
        metrics.observe_source_call(source, seconds, status, circuit)
        tracing.source_call(source, seconds, status)

    return observe


def flush_observer(tracing: Tracing) -> Callable[[int, float], None]:
    """The disclosure log writer's ``on_flush``: batch size and seconds, metrics and a span."""

    def observe(batch_size: int, seconds: float) -> None:
        metrics.observe_audit_flush(batch_size, seconds)
        tracing.audit_flush(batch_size, seconds)

    return observe


@dataclass(slots=True)
class ObservedAuditSink(AuditSink):
    """The disclosure sink, timed: how long each request waits for its rows to be on
    record (``citizen_hub_audit_write_seconds``, and an ``audit.write`` span)."""

    tracing: Tracing = field(default_factory=Tracing)

    async def record(
        self, request_id: str, viewer: Viewer, disclosed: Mapping[str, Disclosed]
    ) -> None:
        sources = sorted({s for d in disclosed.values() for s in d.sources})
        started = time.perf_counter()
        span: AbstractContextManager[None] = self.tracing.audit_write(
            request_id, len(disclosed), sources
        )
        with span:
            try:
                await AuditSink.record(self, request_id, viewer, disclosed)
            finally:
                metrics.AUDIT_WRITE_SECONDS.observe(time.perf_counter() - started)


def observe_guard(guard: SourceGuard, tracing: Tracing) -> None:
    guard.observer = source_observer(tracing)
