"""CORS for the origins of ``[server] cors_origins`` (none by default): a super-app served
from its own origin may call ``/graphql``, ``/oauth/token``, ``/oauth/revoke`` and the
``/.well-known/`` documents from the browser.

Bearer tokens, not cookies: no ``Access-Control-Allow-Credentials``, so a browser never
sends the hub's sign-in cookies cross-origin. A preflight from an origin not listed is
answered 403 without CORS headers; the other paths (the sign-in and consent pages) are
navigations, never called cross-origin, and get no CORS headers at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Middleware

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Path -> the methods a page of another origin may use there.
CORS_PATHS: Final = {
    "/graphql": "GET, POST",
    "/oauth/token": "POST",
    "/oauth/revoke": "POST",
}
WELL_KNOWN: Final = "/.well-known/"
ALLOWED_HEADERS: Final = "Authorization, Content-Type, X-Purpose, X-Request-Id"
EXPOSED_HEADERS: Final = "X-Request-Id, WWW-Authenticate, Retry-After"
MAX_AGE: Final = "600"


def _methods(path: str) -> str | None:
    if path in CORS_PATHS:
        return CORS_PATHS[path]
    if path.startswith(WELL_KNOWN):
        return "GET"
    return None


def cors_middleware(origins: Iterable[str]) -> Middleware:
    allowed = frozenset(origins)

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        methods = _methods(request.path)
        if origin is None or methods is None:
            return await handler(request)
        preflight = (
            request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
        )
        if preflight:
            if origin not in allowed:
                return web.Response(
                    status=403, text="origin not allowed", headers={"Vary": "Origin"}
                )
            return web.Response(
                status=204,
                headers={
                    "Access-Control-Allow-Origin": origin,
                    "Access-Control-Allow-Methods": methods,
                    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                    "Access-Control-Max-Age": MAX_AGE,
                    "Vary": "Origin",
                },
            )
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if origin in allowed:
                _allow(exc, origin)
            raise
        if origin in allowed and not response.prepared:
            _allow(response, origin)
        return response

    return cors


def _allow(response: web.StreamResponse, origin: str) -> None:
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    vary = response.headers.get("Vary")
    response.headers["Vary"] = f"{vary}, Origin" if vary and "Origin" not in vary else "Origin"
