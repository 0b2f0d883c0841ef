"""The reference super-app page at ``/examples/super-app/`` (``hub/static/examples/``):
plain HTML, CSS and JavaScript, no build step, nothing from outside.

With the development sign-in on (the demo), the hub also registers the page as a public
client ("Super-app contoh") and its operations as trusted documents (the page sends
their ids only, never GraphQL text) once, and serves its settings at
``/examples/super-app/config.json``; elsewhere the page takes them from its query
(``?client_id=...&purpose=...&scope=...&hub=...``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

from aiohttp import web

from hub.auth.clients import Client, add_client, add_purpose, list_clients
from hub.auth.scopes import format_scope
from hub.documents.files import super_app_operations
from hub.documents.store import register
from hub.oauth.runtime import SignIn

log = logging.getLogger("citizen_hub.sign_in")

PAGE_DIR: Final = Path(__file__).parent.parent / "static" / "examples" / "super-app"
PREFIX: Final = "/examples/super-app/"
FILES: Final = {
    "index.html": "text/html",
    "app.js": "text/javascript",
    "app.css": "text/css",
}
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

DEMO_APP: Final = "Super-app contoh (demo)"
DEMO_PURPOSE: Final = "layanan-warga"
DEMO_PURPOSE_DESCRIPTION: Final = (
    "Layanan warga di super-app kota: profil, keluarga, dan pendaftaran sekolah anak"
)
DEMO_SCOPES: Final = ("siak:profile", "siak:family", "psb:read")
#: Loopback: any port (RFC 8252 §7.3), so the page works wherever the demo listens.
DEMO_REDIRECT_URIS: Final = (
    "http://127.0.0.1" + PREFIX,
    "http://localhost" + PREFIX,
)
_LOCK: Final = 0x636864  # "chd": two demo workers starting together register it once

DEMO_CLIENT: Final = web.AppKey("demo_super_app", Client)


async def index(request: web.Request) -> web.StreamResponse:
    return _file("index.html")


async def asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in FILES:
        raise web.HTTPNotFound()
    return _file(name)


async def to_index(request: web.Request) -> web.StreamResponse:
    raise web.HTTPMovedPermanently(PREFIX)


def _file(name: str) -> web.Response:
    return web.Response(
        body=(PAGE_DIR / name).read_bytes(),
        content_type=FILES[name],
        charset="utf-8",
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


async def config(request: web.Request) -> web.Response:
    """The demo client's settings for the page (development sign-in only)."""
    client = request.app.get(DEMO_CLIENT)
    if client is None:
        raise web.HTTPNotFound()
    return web.json_response(
        {
            "client_id": client.client_id,
            "purpose": DEMO_PURPOSE,
            "scope": format_scope(DEMO_SCOPES),
            "name": client.name,
        },
        headers={"Cache-Control": "no-store"},
    )


def demo_app_context(sign_in: SignIn) -> object:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async with sign_in.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
            client = next(
                (c for c in await list_clients(conn) if c.name == DEMO_APP and not c.revoked),
                None,
            )
            if client is None:
                await add_purpose(conn, DEMO_PURPOSE, DEMO_PURPOSE_DESCRIPTION)
                client, _ = await add_client(
                    conn,
                    DEMO_APP,
                    DEMO_SCOPES,
                    {DEMO_PURPOSE: DEMO_SCOPES},
                    public=True,
                    redirect_uris=DEMO_REDIRECT_URIS,
                )
            # The page asks by id only (trusted documents): its operations are
            # registered here, once (registering again changes nothing).
            await register(conn, super_app_operations())
        app[DEMO_CLIENT] = client
        log.info("the reference super-app is client %s at %s", client.client_id, PREFIX)
        yield

    return ctx


def add_example_routes(app: web.Application) -> None:
    app.router.add_get(PREFIX.rstrip("/"), to_index)
    app.router.add_get(PREFIX, index)
    app.router.add_get(PREFIX + "config.json", config)
    app.router.add_get(PREFIX + "{name}", asset)
