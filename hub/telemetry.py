"""OpenTelemetry traces: a span per GraphQL operation, per source batch and per disclosure-log
write, exported over OTLP/HTTP when ``[telemetry] otlp_endpoint`` is set; off otherwise.

The SDK and its exporter are an optional extra (``pip install 'citizen-hub[telemetry]'``):
without them, or without an endpoint, :class:`Tracing` does nothing and costs nothing.

A span carries the request id, the operation's name (the bounded label the metrics use,
:mod:`hub.metrics`), its type, the client, the outcome and the sources read: never a
NIK, a name, a variable or the query text, which the exporter would carry off the host.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

    from connectors.base import Source, Store
    from hub.settings_model import TelemetrySettings

log = logging.getLogger(__name__)

REQUEST_ID = "citizen_hub.request_id"
OPERATION = "graphql.operation.name"
OPERATION_TYPE = "graphql.operation.type"
CLIENT = "citizen_hub.client"
OUTCOME = "citizen_hub.outcome"
SOURCES = "citizen_hub.sources"
SOURCE = "citizen_hub.source"
STATUS = "citizen_hub.status"
CITIZENS = "citizen_hub.audit.citizens"
BATCH = "citizen_hub.audit.batch_size"


class Tracing:
    """The hub's tracer, or nothing: every method is safe to call when tracing is off."""

    def __init__(self, provider: TracerProvider | None = None) -> None:
        self.provider = provider
        self.tracer: Tracer | None = (
            provider.get_tracer("citizen_hub") if provider is not None else None
        )

    @property
    def enabled(self) -> bool:
        return self.tracer is not None

    def operation(self) -> Span | None:
        """A span for one GraphQL operation (its caller makes it current and ends it)."""
        if self.tracer is None:
            return None
        return self.tracer.start_span("graphql.operation")

    def activate(self, span: Span | None) -> AbstractContextManager[object]:
        """``span`` as the current one (source and audit spans nest under it)."""
        if span is None:
            return nullcontext()
        from opentelemetry import trace

        return trace.use_span(span, end_on_exit=False)

    def after(self, name: str, seconds: float, attributes: dict[str, Any]) -> None:
        """A span for work that just ended, ``seconds`` long, under the current span."""
        if self.tracer is None:
            return
        end = time.time_ns()
        span = self.tracer.start_span(
            name, start_time=end - int(seconds * 1e9), attributes=attributes
        )
        span.end(end_time=end)

    def source_call(self, source: Source | Store, seconds: float, status: str) -> None:
        self.after("source.batch", seconds, {SOURCE: source.name, STATUS: status})

    def audit_flush(self, batch_size: int, seconds: float) -> None:
        self.after("audit.flush", seconds, {BATCH: batch_size})

    @contextmanager
    def audit_write(self, request_id: str, citizens: int, sources: Sequence[str]) -> Iterator[None]:
        """A span around one request's wait for its disclosures to be on record."""
        if self.tracer is None:
            yield
            return
        attributes: dict[str, Any] = {
            REQUEST_ID: request_id,
            CITIZENS: citizens,
            SOURCES: list(sources),
        }
        with self.tracer.start_as_current_span("audit.write", attributes=attributes):
            yield

    def shutdown(self) -> None:
        """Export what is buffered and stop (at the app's cleanup)."""
        if self.provider is not None:
            self.provider.shutdown()


def setup_tracing(settings: TelemetrySettings) -> Tracing:
    """The tracer ``settings`` ask for: OTLP/HTTP to ``otlp_endpoint``, or none."""
    if settings.otlp_endpoint is None:
        return Tracing()
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
    except ImportError:
        log.error(
            "[telemetry] otlp_endpoint is set but the OpenTelemetry SDK is not installed"
            " (pip install 'citizen-hub[telemetry]'); serving without traces"
        )
        return Tracing()
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.service_name}),
        sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)),
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(settings.otlp_endpoint)))
    return Tracing(provider)


TRACING = web.AppKey("tracing", Tracing)


def tracing_context(tracing: Tracing) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context: the app's tracing, flushed when the app stops."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        app[TRACING] = tracing
        yield
        tracing.shutdown()

    return ctx
