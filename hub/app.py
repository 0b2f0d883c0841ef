"""The composition root: settings, pools, connectors and schema wired in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import asyncpg
from aiohttp import web

from connectors.base import Source, SourceDB
from hub.graphiql import add_graphiql_routes
from hub.graphql import HubGraphQLView
from hub.health import health_handler
from hub.migrate import migrate
from hub.settings import Settings
from schema.build import build_schema
from schema.guard import SourceGuard

SOURCES = web.AppKey("sources", dict[Source, SourceDB])
HUB_POOL = web.AppKey("hub_pool", asyncpg.Pool)
SETTINGS = web.AppKey("settings", Settings)
GUARD = web.AppKey("guard", SourceGuard)


def create_app(settings: Settings) -> web.Application:
    """Build the hub for ``settings``, whose DSNs must all be filled in (see hub.databases)."""
    if settings.needs_embedded:
        raise ValueError("create_app needs every DSN; resolve them with hub.databases.resolve")
    app = web.Application()
    app[SETTINGS] = settings
    sources: dict[Source, SourceDB] = {}
    app[SOURCES] = sources
    app.cleanup_ctx.append(_pools(settings, sources))
    limits = settings.limits
    app[GUARD] = SourceGuard(
        limits.source_timeout_ms, limits.breaker_failures, limits.breaker_reset_seconds
    )
    view = HubGraphQLView(build_schema(), sources, app[GUARD], limits)
    app.router.add_route("*", "/graphql", view)
    app.router.add_get("/healthz", health_handler(sources))  # type: ignore[arg-type]
    app.router.add_get("/", _to_graphiql)
    add_graphiql_routes(app)
    return app


async def _to_graphiql(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/graphql")


def _pools(
    settings: Settings, sources: dict[Source, SourceDB]
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
            yield
        finally:
            for pool in pools:
                await pool.close()

    return ctx
