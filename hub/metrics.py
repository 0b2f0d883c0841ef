"""Prometheus metrics at ``GET /metrics`` (prometheus-client), for the city's monitoring.

What is counted, every label value bounded and none of them personal:

- ``citizen_hub_requests_total{operation,client,outcome}`` and
  ``citizen_hub_request_seconds{operation}``: GraphQL operations, over HTTP and websockets;
- ``citizen_hub_source_seconds{source}``, ``citizen_hub_source_calls_total{source,status}``
  and ``citizen_hub_source_statements_total{source}``: each product database;
- ``citizen_hub_circuit_state{source}``: 0 closed, 1 half-open, 2 open;
- ``citizen_hub_audit_write_seconds`` (a request waiting for its disclosures to be on
  record), ``citizen_hub_audit_flush_seconds`` and ``citizen_hub_audit_batch_size`` (the
  disclosure log's writes);
- ``citizen_hub_limit_refusals_total{limit}`` and ``citizen_hub_websocket_connections``.

With ``serve --workers N`` every worker writes its values to files in a folder the
parent made (``PROMETHEUS_MULTIPROC_DIR``, prometheus-client's multiprocess mode), and
whichever worker answers ``/metrics`` sums them all.

``/metrics`` answers only a reader inside ``[metrics] networks`` (loopback by default)
and, when ``[metrics] token`` is set, presenting it as ``Authorization: Bearer <token>``.
The address is the TCP peer's: a ``X-Forwarded-For`` header is never believed, so the
metrics are scraped from each instance directly, not through the load balancer.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import os
import re
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Final

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess

from connectors.base import Source, Store
from hub.client_address import proxy_networks, within

if TYPE_CHECKING:
    from connectors.base import SourceDB, SourceDBs
    from hub.settings_model import MetricsSettings
    from schema.guard import SourceGuard

MULTIPROCESS_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
SYNC_SECONDS: Final = 5.0
MAX_OPERATION_NAMES: Final = 200
MAX_CLIENTS: Final = 500
MAX_LIMIT_NAMES: Final = 32
OTHER: Final = "other"
ANONYMOUS: Final = "anonymous"
CIRCUIT_VALUES: Final = {"closed": 0.0, "half-opened": 1.0, "opened": 2.0}

_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "citizen_hub_requests",
    "GraphQL operations by operation name, client and outcome",
    ["operation", "client", "outcome"],
)
REQUEST_SECONDS = Histogram(
    "citizen_hub_request_seconds", "Time to answer a GraphQL operation", ["operation"],
    buckets=_SECONDS,
)  # fmt: skip
SOURCE_SECONDS = Histogram(
    "citizen_hub_source_seconds", "Time of one call to a product database", ["source"],
    buckets=_SECONDS,
)  # fmt: skip
SOURCE_CALLS = Counter(
    "citizen_hub_source_calls", "Calls to a product database by result", ["source", "status"]
)
SOURCE_STATEMENTS = Counter(
    "citizen_hub_source_statements", "SQL statements sent to a product database", ["source"]
)
CIRCUIT_STATE = Gauge(
    "citizen_hub_circuit_state",
    "A source's circuit breaker: 0 closed, 1 half-open, 2 open (the worst of the workers)",
    ["source"],
    multiprocess_mode="livemax",
)
AUDIT_WRITE_SECONDS = Histogram(
    "citizen_hub_audit_write_seconds",
    "Time a request waited for its disclosures to be on record",
    buckets=_SECONDS,
)
AUDIT_FLUSH_SECONDS = Histogram(
    "citizen_hub_audit_flush_seconds", "Time of one write to the disclosure log", buckets=_SECONDS
)
AUDIT_BATCH_SIZE = Histogram(
    "citizen_hub_audit_batch_size",
    "Requests written together in one write to the disclosure log",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
LIMIT_REFUSALS = Counter(
    "citizen_hub_limit_refusals", "Operations refused with LIMIT_EXCEEDED, by limit", ["limit"]
)
WEBSOCKETS = Gauge(
    "citizen_hub_websocket_connections", "Open websockets", multiprocess_mode="livesum"
)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,63}")
_DIGITS = re.compile(r"\d{6,}")


class BoundedLabel:
    """A label's values, at most ``limit`` distinct ones per process, the rest ``other``.

    A value that is not a plain name, or carries a run of six digits or more (part
    of a NIK, a card or a phone number), is ``other`` too: operation names and client
    ids come from callers, and a label may never carry personal data. A value offered
    with ``admit=False`` (an anonymous caller's operation name) is itself only when an
    accountable caller brought it first, so no one without a token can fill the slots.
    """

    def __init__(self, limit: int, *, shape: re.Pattern[str] | None = None) -> None:
        self.limit = limit
        self.shape = shape  # values of a known shape skip the name and digit rules
        self._seen: set[str] = set()

    def __call__(self, value: str | None, *, missing: str = ANONYMOUS, admit: bool = True) -> str:
        if not value:
            return missing
        if self.shape is not None:
            if not self.shape.fullmatch(value):
                return OTHER
        elif not _NAME.fullmatch(value) or _DIGITS.search(value):
            return OTHER
        if value in self._seen:
            return value
        if not admit or len(self._seen) >= self.limit:
            return OTHER
        self._seen.add(value)
        return value


operation_label = BoundedLabel(MAX_OPERATION_NAMES)


def operation_names(name: str | None, *, registered: bool) -> str:
    """The ``operation`` label (metrics, spans, the access log and the websocket log).

    Operation names come from callers and may carry anything: a citizen's name or NIK
    (``citizen_UchitaTampubolon``, ``x3x6x7x1…``), and every label value is a slot any
    caller could fill. No rule on the text tells a name from a person's, so a name is a
    label only when the operators chose it: the name of the operation in a registered
    document (``citizen-hub documents add``), whoever sends the document's id. Free text
    is ``other``, whoever sends it; an operator who wants a partner's operations named
    registers them.
    """
    if not name:
        return "unnamed"
    if registered:
        return operation_label(name, missing="unnamed")
    return OTHER


# Client ids are the hub's own (hub.auth.clients: "ch_" and 20 hex digits), so a run of
# digits in one is chance, not personal data.
CLIENT_SHAPE = re.compile(r"ch_[0-9a-f]{20}")
client_label = BoundedLabel(MAX_CLIENTS, shape=CLIENT_SHAPE)
limit_label = BoundedLabel(MAX_LIMIT_NAMES)


def source_label(source: Source | Store) -> str:
    return source.name


def observe_source_call(source: Source | Store, seconds: float, status: str, circuit: str) -> None:
    """One call through the source guard (:attr:`schema.guard.SourceGuard.observer`)."""
    label = source_label(source)
    SOURCE_SECONDS.labels(label).observe(seconds)
    SOURCE_CALLS.labels(label, status).inc()
    CIRCUIT_STATE.labels(label).set(CIRCUIT_VALUES.get(circuit, 0.0))


def observe_audit_flush(batch_size: int, seconds: float) -> None:
    """One write of the disclosure log (its writer's ``on_flush`` observer)."""
    AUDIT_BATCH_SIZE.observe(batch_size)
    AUDIT_FLUSH_SECONDS.observe(seconds)


class StatementSync:
    """Adds the statements each source's pool counted (``SourceDB.statements``) to
    ``citizen_hub_source_statements_total``, and refreshes the circuit states.

    The connectors count statements in a plain attribute, below the hub and its
    metrics library; this carries the counts over every few seconds, at each scrape,
    and at shutdown, so every worker's statements reach the shared counter.
    """

    def __init__(self, sources: SourceDBs, guard: SourceGuard) -> None:
        self.sources = sources
        self.guard = guard
        self._counted: dict[Source | Store, int] = {}

    def _databases(self) -> list[tuple[Source | Store, SourceDB]]:
        found: list[tuple[Source | Store, SourceDB]] = list(self.sources.items())
        store = getattr(self.sources, "store", None)
        if store is not None:
            found.append((Store.HUB, store))
        return found

    async def sync(self) -> None:
        for source, db in self._databases():
            now = db.statements
            before = self._counted.get(source, 0)
            if now > before:
                SOURCE_STATEMENTS.labels(source_label(source)).inc(now - before)
            self._counted[source] = now
            CIRCUIT_STATE.labels(source_label(source)).set(
                CIRCUIT_VALUES.get(await self.guard.state(source), 0.0)
            )

    def context(self) -> Callable[[web.Application], AsyncIterator[None]]:
        """An aiohttp cleanup context syncing every ``SYNC_SECONDS`` while the app runs."""

        async def ctx(app: web.Application) -> AsyncIterator[None]:
            async def loop() -> None:
                while True:
                    await asyncio.sleep(SYNC_SECONDS)
                    await self.sync()

            task = asyncio.create_task(loop())
            yield
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.sync()

        return ctx


def registry() -> CollectorRegistry:
    """What ``/metrics`` reads: every worker's files in multiprocess mode, else this process."""
    folder = os.environ.get(MULTIPROCESS_ENV)
    if not folder:
        return REGISTRY
    collected = CollectorRegistry()
    prometheus_multiprocess.MultiProcessCollector(collected, path=folder)  # type: ignore[no-untyped-call]
    return collected


def may_read(request: web.Request, settings: MetricsSettings) -> web.Response | None:
    """None when ``request`` may read the metrics, else the refusal to answer."""
    if not within(request.remote, proxy_networks(settings.networks)):
        return web.json_response(
            {"error": "the metrics are readable only from the monitoring network"}, status=403
        )
    if settings.token is not None:
        given = request.headers.get("Authorization", "")
        scheme, _, credential = given.partition(" ")
        # Constant time: the comparison must not tell how much of a guess was right.
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            credential.strip().encode(), settings.token.encode()
        ):
            return web.json_response(
                {"error": "the metrics need their token: Authorization: Bearer <token>"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="citizen-hub-metrics"'},
            )
    return None


def metrics_handler(
    settings: MetricsSettings, sync: StatementSync
) -> Callable[[web.Request], object]:
    async def metrics(request: web.Request) -> web.Response:
        refused = may_read(request, settings)
        if refused is not None:
            return refused
        await sync.sync()
        return web.Response(
            body=generate_latest(registry()), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    return metrics


def add_metrics(app: web.Application, settings: MetricsSettings, sync: StatementSync) -> None:
    """``GET /metrics`` and the statement sync, on ``app``."""
    app.router.add_get("/metrics", metrics_handler(settings, sync))  # type: ignore[arg-type]
    app.cleanup_ctx.append(sync.context())


def prepare_multiprocess(folder: str) -> None:
    """Before the workers start: they write their values under ``folder`` (an empty one:
    values left by another run would be summed in)."""
    os.environ[MULTIPROCESS_ENV] = folder


def worker_exited(pid: int) -> None:
    """A worker stopped: its live gauges (websockets, circuits) no longer count."""
    folder = os.environ.get(MULTIPROCESS_ENV)
    if folder:
        prometheus_multiprocess.mark_process_dead(pid, folder)  # type: ignore[no-untyped-call]
