"""The composition root: settings, pools, connectors and schema wired in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import asyncpg
from aiohttp import web

from connectors.antrian.feed import TicketFeed
from connectors.base import Source, SourceDB, SourceDBs, Store
from connectors.pools import per_process, read_pool
from hub.audit import DisclosureLog, checkpoint_context, create_audit_pool
from hub.auth import add_oauth_routes
from hub.citizen_ids import load_citizen_ids
from hub.client_address import TRUSTED_PROXIES, proxy_networks
from hub.documents import PgDocumentStore
from hub.graphiql import add_graphiql_routes
from hub.graphql import HubGraphQLView
from hub.health import Readiness, liveness_handler, readiness_handler
from hub.keys import AUDIT_SINK, CITIZEN_IDS, DOCUMENTS, LIMITER, TICKET_FEED
from hub.limits import ClientLimits
from hub.logs import quiet_client_errors
from hub.metrics import StatementSync, add_metrics
from hub.migrate import migrate
from hub.oauth import add_citizen_sign_in
from hub.observe import (
    ObservedAuditSink,
    flush_observer,
    observe_guard,
    observe_requests,
    observed_operation,
)
from hub.production import check_production
from hub.settings import Settings
from hub.shutdown import add_graceful_shutdown
from hub.telemetry import Tracing, setup_tracing, tracing_context
from schema.build import build_schema
from schema.execution.trusted import TrustedDocuments
from schema.guard import SourceGuard

SOURCES = web.AppKey("sources", SourceDBs)
HUB_POOL = web.AppKey("hub_pool", asyncpg.Pool)
SETTINGS = web.AppKey("settings", Settings)
GUARD = web.AppKey("guard", SourceGuard)


def create_app(
    settings: Settings,
    *,
    processes: int = 1,
    limiter: ClientLimits | None = None,
    tracing: Tracing | None = None,
) -> web.Application:
    """Build the hub for ``settings``, whose DSNs must all be filled in (see hub.databases).

    ``processes``: how many worker processes serve together, sharing each database's
    ``[server] database_connections`` (:mod:`connectors.pools`). ``limiter``: the rate
    and budget keeper to use instead of one built from the
    settings (tests pass one that also notes what it charged); ``tracing``: the
    tracer instead of the one ``[telemetry]`` asks for (tests keep spans in memory).
    """
    if settings.needs_embedded:
        raise ValueError("create_app needs every DSN; resolve them with hub.databases.resolve")
    check_production(settings)  # the command line checked first; this is the net
    quiet_client_errors()  # aiohttp's own 400s are the client's doing (hub.logs), served any way
    # Metrics, traces and the operation's facts for the access log (hub.observe).
    app = web.Application(middlewares=[observe_requests])
    app[SETTINGS] = settings
    app[TRUSTED_PROXIES] = proxy_networks(settings.trusted_proxies)  # hub.client_address
    lifecycle = add_graceful_shutdown(app)
    tracing = tracing or setup_tracing(settings.telemetry)
    app.cleanup_ctx.append(tracing_context(tracing))  # first in, so flushed after the rest
    sources = SourceDBs()
    app[SOURCES] = sources
    limits = settings.limits
    app[GUARD] = SourceGuard(
        limits.source_timeout_ms, limits.breaker_failures, limits.breaker_reset_seconds
    )
    observe_guard(app[GUARD], tracing)
    readiness = Readiness(sources, app[GUARD], lifecycle)
    size = per_process(processes, settings.database_connections)
    app.cleanup_ctx.append(_pools(settings, size, sources, limiter, tracing, readiness))
    schema = build_schema()
    # Before the operation pipeline: it times the whole operation, refusals included.
    schema.extensions = (observed_operation(tracing), *schema.extensions)
    view = HubGraphQLView(
        schema,
        sources,
        app[GUARD],
        limits,
        token_recheck_seconds=settings.auth.revocation_cache_seconds,
    )
    app.router.add_route("*", "/graphql", view)
    app.router.add_get("/healthz", liveness_handler(lifecycle))
    app.router.add_get("/readyz", readiness_handler(readiness))
    add_metrics(app, settings.metrics, StatementSync(sources, app[GUARD]))
    app.router.add_get("/", _to_graphiql)
    add_graphiql_routes(app)
    # OAuth (issue 5): token endpoint, JWKS, metadata; app[hub.auth.TOKEN_VALIDATOR] at
    # startup. After _pools: its startup needs app[HUB_POOL].
    add_oauth_routes(app, settings.auth, HUB_POOL)
    # Citizens signing in to apps (code flow, consent), CORS, /examples/super-app/.
    add_citizen_sign_in(app, settings, HUB_POOL, SOURCES)
    # Signed checkpoints of this process's disclosure chain, written outside the database;
    # after the OAuth routes, whose startup makes the first signing key. Its cleanup
    # closes the log (queued rows written, new ones refused) before the last checkpoint.
    app.cleanup_ctx.append(checkpoint_context(settings, HUB_POOL, _audit_log))
    app.cleanup_ctx.append(_ticket_feed(settings))
    return app


def _audit_log(app: web.Application) -> DisclosureLog:
    return app[AUDIT_SINK].log


async def _to_graphiql(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/graphql")


def _ticket_feed(settings: Settings) -> Callable[[web.Application], AsyncIterator[None]]:
    """The Antrian ticket feed the subscriptions of this instance follow."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async with TicketFeed(settings.source_dsns[Source.ANTRIAN]) as feed:
            app[TICKET_FEED] = feed
            yield

    return ctx


def _pools(
    settings: Settings,
    size: int,
    sources: SourceDBs,
    limiter: ClientLimits | None,
    tracing: Tracing,
    readiness: Readiness,
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        pools: list[asyncpg.Pool] = []
        try:
            for source in Source:
                pool = await read_pool(settings.source_dsns[source], max_size=size)
                pools.append(pool)
                sources[source] = SourceDB(source, pool)
            assert settings.hub_dsn is not None
            app[HUB_POOL] = await read_pool(settings.hub_dsn, max_size=size)
            pools.append(app[HUB_POOL])
            async with app[HUB_POOL].acquire() as conn:
                await migrate(conn)
                app[CITIZEN_IDS] = await load_citizen_ids(conn)
            # The graph reads the identity crosswalk like a source (pseudo-source HUB).
            sources.store = SourceDB(Store.HUB, app[HUB_POOL])
            # Disclosures are written as citizen_hub_app, which may only INSERT and
            # SELECT there (where the server let the migration create that role).
            audit_pool = await create_audit_pool(settings.hub_dsn, audit_dsn=settings.audit.dsn)
            pools.append(audit_pool)
            disclosures = DisclosureLog(audit_pool, on_flush=flush_observer(tracing))
            app[AUDIT_SINK] = ObservedAuditSink(disclosures, tracing)
            limits = limiter or ClientLimits.from_settings(settings)
            app[LIMITER] = limits
            # Registered (trusted) documents and the [graphql] rules (hub.documents).
            app[DOCUMENTS] = TrustedDocuments(PgDocumentStore(app[HUB_POOL]), settings.graphql)
            readiness.audit, readiness.limiter = app[AUDIT_SINK], limits
            yield
            await limits.close()
        finally:
            for pool in pools:
                await pool.close()

    return ctx
