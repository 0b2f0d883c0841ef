"""The composition root: settings, pools, connectors and schema wired in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import asyncpg
from aiohttp import web

from connectors.antrian.feed import TicketFeed
from connectors.base import Source, SourceDB, SourceDBs, Store
from hub.access import AuditSink
from hub.audit import DisclosureLog, checkpoint_context, create_audit_pool
from hub.auth import add_oauth_routes
from hub.citizen_ids import load_citizen_ids
from hub.graphiql import add_graphiql_routes
from hub.graphql import HubGraphQLView
from hub.health import health_handler
from hub.keys import AUDIT_SINK, CITIZEN_IDS, LIMITER, TICKET_FEED
from hub.limits import ClientLimits
from hub.migrate import migrate
from hub.oauth import add_citizen_sign_in
from hub.settings import Settings
from schema.build import build_schema
from schema.guard import SourceGuard

SOURCES = web.AppKey("sources", SourceDBs)
HUB_POOL = web.AppKey("hub_pool", asyncpg.Pool)
SETTINGS = web.AppKey("settings", Settings)
GUARD = web.AppKey("guard", SourceGuard)


def create_app(settings: Settings, *, limiter: ClientLimits | None = None) -> web.Application:
    """Build the hub for ``settings``, whose DSNs must all be filled in (see hub.databases).

    ``limiter``: the rate and budget keeper to use instead of one built from the
    settings (tests pass one that also notes what it charged).
    """
    if settings.needs_embedded:
        raise ValueError("create_app needs every DSN; resolve them with hub.databases.resolve")
    app = web.Application()
    app[SETTINGS] = settings
    sources = SourceDBs()
    app[SOURCES] = sources
    app.cleanup_ctx.append(_pools(settings, sources, limiter))
    limits = settings.limits
    app[GUARD] = SourceGuard(
        limits.source_timeout_ms, limits.breaker_failures, limits.breaker_reset_seconds
    )
    view = HubGraphQLView(
        build_schema(),
        sources,
        app[GUARD],
        limits,
        token_recheck_seconds=settings.auth.revocation_cache_seconds,
    )
    app.router.add_route("*", "/graphql", view)
    app.router.add_get("/healthz", health_handler(sources, app[GUARD]))
    app.router.add_get("/", _to_graphiql)
    add_graphiql_routes(app)
    # OAuth (issue 5): token endpoint, JWKS, metadata; app[hub.auth.TOKEN_VALIDATOR] at
    # startup. After _pools: its startup needs app[HUB_POOL].
    add_oauth_routes(app, settings.auth, HUB_POOL)
    # Citizens signing in to apps (code flow, consent), CORS, /examples/super-app/.
    add_citizen_sign_in(app, settings, HUB_POOL, SOURCES)
    # Signed checkpoints of the disclosure log's head, written outside the database;
    # after the OAuth routes, whose startup makes the first signing key.
    app.cleanup_ctx.append(checkpoint_context(settings, HUB_POOL))
    app.cleanup_ctx.append(_ticket_feed(settings))
    return app


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
    settings: Settings, sources: SourceDBs, limiter: ClientLimits | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        pools: list[asyncpg.Pool] = []
        try:
            for source in Source:
                pool = await asyncpg.create_pool(
                    settings.source_dsns[source], min_size=1, max_size=4
                )
                pools.append(pool)
                sources[source] = SourceDB(source, pool)
            assert settings.hub_dsn is not None
            app[HUB_POOL] = await asyncpg.create_pool(settings.hub_dsn, min_size=1, max_size=4)
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
            app[AUDIT_SINK] = AuditSink(DisclosureLog(audit_pool))
            limits = limiter or ClientLimits.from_settings(settings)
            app[LIMITER] = limits
            yield
            await limits.close()
        finally:
            for pool in pools:
                await pool.close()

    return ctx
