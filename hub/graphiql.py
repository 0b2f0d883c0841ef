"""GraphiQL served entirely by the hub: the page, and its assets at ``/static/graphiql/``.

The city network has no internet, so nothing comes from a CDN (strawberry's own page
loads React and GraphiQL from unpkg). The assets are vendored in ``hub/static/graphiql/``
(see the README there). The page has no inline script, so it is served with a CSP that
only lets the browser load from the hub itself.

Wiring ``GET /graphql`` (with ``Accept: text/html``) to this page: subclass strawberry's
aiohttp ``GraphQLView`` and return ``await graphiql_handler(request)`` from
``render_graphql_ide``; call ``add_graphiql_routes(app)`` once in ``create_app``.
"""

from __future__ import annotations

import hashlib
import html
from functools import cache
from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static" / "graphiql"
STATIC_PREFIX = "/static/graphiql/"

# Load order matters: GraphiQL's bundle reads the globals React and ReactDOM.
SCRIPTS = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "hub-graphiql.js",
)
STYLES = ("graphiql.min.css", "hub-graphiql.css")

# The bundles are content-hashed in their URLs (``?v=``), so they can be cached for good.
IMMUTABLE = "public, max-age=31536000, immutable"

# GraphiQL's components inject <style> elements (hence 'unsafe-inline' for styles) and
# its fonts are data: URLs; everything else comes from the hub or nowhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

DEFAULT_QUERY = """\
# Citizen Hub: one query, every product the city runs.
#
# 1. Paste your token in the Headers tab below:
#      {"Authorization": "Bearer <your token>"}
#    Each product needs its scope (siak:profile,
#    psb:read, ...); without it the field is null and
#    a FORBIDDEN error names the missing scope.
# 2. Uncomment the query (remove each leading "# "),
#    then press the run button or Ctrl-Enter.
#    Ctrl-Space completes names; Docs lists every type.
#
# query CitizenProfile {
#   citizen(nik: "3671014507900001") {
#     fullName
#     birthDate
#     address { kelurahan kecamatan }
#     family {            # the family card (KK)
#       familyCardNumber
#       members { relationship citizen { fullName } }
#     }
#     # one field per product: schoolAdmissions (PSB),
#     # employment (SIKDa), queueTickets (Antrian), ...
#   }
# }
#
# A NIK is 16 digits; "3671 0145 0790 0001" also works.
# Each citizen you look up sees it in their accessLog.
"""


@cache
def _version(name: str) -> str:
    """A short content hash of one asset, so a new file gets a new URL."""
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def asset_url(name: str) -> str:
    """The hub-relative, content-versioned URL of one asset in ``hub/static/graphiql/``."""
    return f"{STATIC_PREFIX}{name}?v={_version(name)}"


def graphiql_page(endpoint: str = "/graphql") -> str:
    """The GraphiQL HTML page for ``endpoint``; every URL in it points at the hub."""
    styles = "\n".join(f'    <link rel="stylesheet" href="{asset_url(n)}">' for n in STYLES)
    scripts = "\n".join(f'    <script src="{asset_url(n)}"></script>' for n in SCRIPTS)
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Citizen Hub · GraphiQL</title>
    <link rel="icon" href="data:,">
{styles}
  </head>
  <body>
    <div id="graphiql"
         data-endpoint="{html.escape(endpoint, quote=True)}"
         data-default-query="{html.escape(DEFAULT_QUERY, quote=True)}">Loading GraphiQL…</div>
    <noscript>GraphiQL needs JavaScript.</noscript>
{scripts}
  </body>
</html>
"""


async def graphiql_handler(request: web.Request) -> web.Response:
    """Serve the GraphiQL page for the GraphQL endpoint at ``/graphql``."""
    return web.Response(
        text=graphiql_page(),
        content_type="text/html",
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _cache_assets(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith(STATIC_PREFIX) and "v" in request.query:
        response.headers["Cache-Control"] = IMMUTABLE


def add_graphiql_routes(app: web.Application) -> None:
    """Serve ``hub/static/graphiql/`` at ``/static/graphiql/``; versioned URLs cache for good.

    Unversioned URLs get aiohttp's ETag and Last-Modified, so browsers revalidate them.
    """
    app.router.add_static(STATIC_PREFIX, STATIC_DIR, name="graphiql-static")
    app.on_response_prepare.append(_cache_assets)
