"""Citizens signing in to apps: the authorization code flow with PKCE, consent, refresh
tokens, revocation, CORS, and the hub's own sign-in (development, or the city's OpenID
provider in production). docs/sign-in.md is the app developer's guide.

Wiring (hub/app.py, after ``add_oauth_routes``)::

    add_citizen_sign_in(app, settings, HUB_POOL, SOURCES)

always adds the CORS middleware for ``[server] cors_origins`` and the reference page at
``/examples/super-app/``; when a sign-in is configured (``[auth] development_sign_in``
or ``[auth.upstream]``) it serves:

==================================  =====================================================
``GET|POST /oauth/authorize``       RFC 6749 §4.1 with RFC 7636 (S256 required); consent
``POST /oauth/token``               + ``authorization_code``, ``refresh_token`` (rotated)
``POST /oauth/revoke``              RFC 7009
``GET|POST /oauth/sign-in``         the development sign-in (NIK, birth date, code)
``POST /oauth/sign-in/code``        its one-time code
``GET /oauth/sso/start|callback``   the city's OpenID provider (relying party)
``GET|POST /oauth/consents``        the citizen's app permissions; withdraw
``POST /oauth/sign-out``            end the citizen's session at the hub
``GET /oauth/static/{name}``        the pages' stylesheet and icon
==================================  =====================================================

and the metadata at ``/.well-known/oauth-authorization-server`` (and
``openid-configuration``) advertises them. Without a sign-in the hub is as before:
client credentials only.

``serve`` must refuse the development sign-in: call :func:`refuse_development_sign_in`
there (``demo`` turns it on with :func:`demo_settings`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from aiohttp import web

from hub.auth.server import CODE_FLOW
from hub.oauth import authorize, consents_page, development, examples, upstream
from hub.oauth.cors import cors_middleware
from hub.oauth.endpoints import CodeFlowEndpoints
from hub.oauth.pages import asset
from hub.oauth.runtime import SIGN_IN, Outbox, SignIn
from hub.settings import Settings, SettingsError

if TYPE_CHECKING:
    import asyncpg

    from connectors.base import SourceDBs

__all__ = [
    "SIGN_IN",
    "Outbox",
    "SignIn",
    "add_citizen_sign_in",
    "demo_settings",
    "refuse_development_sign_in",
]


def add_citizen_sign_in(
    app: web.Application,
    settings: Settings,
    hub_pool: web.AppKey[asyncpg.Pool],
    sources: web.AppKey[SourceDBs],
    *,
    clock: Callable[[], float] = time.time,
) -> SignIn | None:
    """Wire CORS, the reference page and (when configured) the code flow; returns the
    sign-in (also ``app[SIGN_IN]``), or None when no sign-in is configured.

    Register after the pools' cleanup context: the sign-in's startup needs the hub pool.
    ``clock`` drives every expiry (codes, sessions, consents), so tests move time.
    """
    if settings.cors_origins:
        app.middlewares.append(cors_middleware(settings.cors_origins))
    examples.add_example_routes(app)
    auth = settings.auth
    if not auth.development_sign_in and auth.upstream is None:
        return None
    sign_in = SignIn(settings, hub_pool, sources, clock)
    app[SIGN_IN] = sign_in
    endpoints = CodeFlowEndpoints(sign_in)
    app[CODE_FLOW] = endpoints
    app.cleanup_ctx.append(sign_in.lifecycle)
    router = app.router
    router.add_route("GET", authorize.AUTHORIZE_PATH, authorize.authorize)
    router.add_route("POST", authorize.AUTHORIZE_PATH, authorize.authorize)
    router.add_post("/oauth/revoke", endpoints.revoke)
    router.add_get("/oauth/sign-in", development.sign_in_page)
    router.add_post("/oauth/sign-in", development.start)
    router.add_post("/oauth/sign-in/code", development.verify)
    router.add_get("/oauth/sso/start", upstream.start)
    router.add_get(upstream.CALLBACK_PATH, upstream.callback)
    router.add_get(consents_page.CONSENTS_PATH, consents_page.consents)
    router.add_post(consents_page.CONSENTS_PATH, consents_page.consents)
    router.add_post("/oauth/sign-out", consents_page.sign_out)
    router.add_get("/oauth/static/{name}", asset)
    if auth.development_sign_in:
        app.cleanup_ctx.append(examples.demo_app_context(sign_in))  # type: ignore[arg-type]
    return sign_in


def refuse_development_sign_in(settings: Settings) -> None:
    """For ``citizen-hub serve``: the development sign-in lets whoever reads the log sign
    in as any citizen, so serve refuses it unless ``[auth]
    development_sign_in_in_serve = true`` says that is really meant (a staging hub)."""
    auth = settings.auth
    if auth.development_sign_in and not auth.development_sign_in_in_serve:
        raise SettingsError(
            "auth.development_sign_in",
            "is for citizen-hub demo and tests (its one-time codes go to the log);"
            " serve citizens through [auth.upstream], the city's OpenID provider (set"
            " auth.development_sign_in_in_serve = true only for a staging hub)",
        )


def demo_settings(settings: Settings) -> Settings:
    """What ``citizen-hub demo`` runs with: the development sign-in on, and its own
    origins allowed by CORS (the reference page may also be opened on the other name)."""
    port = settings.port
    origins = (*settings.cors_origins, f"http://127.0.0.1:{port}", f"http://localhost:{port}")
    return replace(
        settings,
        auth=replace(settings.auth, development_sign_in=True),
        cors_origins=tuple(dict.fromkeys(origins)),
    )
