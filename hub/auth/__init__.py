"""OAuth for the hub: its own authorization server and the resource server's token check.

The surface the rest of the hub uses::

    from hub.auth import (
        AuthError, Principal, TokenValidator, TOKEN_VALIDATOR,
        add_oauth_routes, issue_citizen_token, issue_client_token,
    )

Wiring (hub/app.py, after the hub pool's cleanup context)::

    add_oauth_routes(app, settings.auth, HUB_POOL)

serves ``POST /oauth/token`` (client credentials, client_secret_basic or _post, optional
``scope`` and ``purpose``), ``GET /.well-known/jwks.json`` and ``GET
/.well-known/oauth-authorization-server``; at startup it creates the first signing key if
there is none and puts a :class:`TokenValidator` in ``app[TOKEN_VALIDATOR]``.

Checking a request (hub/graphql.py)::

    validator = request.app[TOKEN_VALIDATOR]
    try:
        principal = await validator.authenticate(request.headers.get("Authorization"))
    except AuthError as exc:  # .status 401 (400: malformed header, 503: keys unreachable)
        return web.json_response(exc.body, status=exc.status, headers=exc.headers)

``exc.headers`` holds the exact ``WWW-Authenticate`` (also ``exc.www_authenticate``), e.g.
``Bearer realm="citizen-hub", error="invalid_token", error_description="the token expired
at 2027-01-15T08:00:00Z (leeway 30 s)"``; ``exc.error`` is None when no credentials came.

``principal.scopes`` / ``.nik`` (citizen tokens) / ``.purpose`` / ``.client_id`` /
``.subject`` / ``.token_id`` drive the scope policy, purpose check and disclosure log.
Outside aiohttp: ``TokenValidator.from_settings(settings.auth, hub_pool, clock=...)``,
and ``await validator.close()`` at the end.

Tokens without the endpoint (CLI, tests, ``make demo``)::

    await issue_client_token(pool, settings.auth, client_id, scope="psb:read", purpose="ppdb")
    await issue_citizen_token(pool, settings.auth, "3671...")   # -> IssuedToken.access_token

Clients, purposes and keys: ``hub.auth.clients``, ``hub.auth.keys``; the CLI in
``hub.auth.cli`` (``citizen-hub clients|purposes|keys|token``).

Citizens signing in to apps (authorization code with PKCE, refresh tokens, consent) is
``hub.oauth``: it hands ``authorization_code`` and ``refresh_token`` requests of the
same token endpoint to authlib (``hub.auth.server.CODE_FLOW``), and its access tokens,
issued by ``hub.auth.tokens.issue_app_token``, carry ``sid``: the validator refuses
them once that sign-in is revoked (``hub.auth.grants_status``).
"""

from __future__ import annotations

from hub.auth.errors import AuthAdminError, AuthError, KeyStoreError, TokenRequestError
from hub.auth.principal import Principal
from hub.auth.scopes import CITIZEN_SCOPES, SCOPES
from hub.auth.server import TOKEN_VALIDATOR, add_oauth_routes
from hub.auth.tokens import CLI_CLIENT_ID, IssuedToken, issue_citizen_token, issue_client_token
from hub.auth.validate import TokenValidator

__all__ = [
    "CITIZEN_SCOPES",
    "CLI_CLIENT_ID",
    "SCOPES",
    "TOKEN_VALIDATOR",
    "AuthAdminError",
    "AuthError",
    "IssuedToken",
    "KeyStoreError",
    "Principal",
    "TokenRequestError",
    "TokenValidator",
    "add_oauth_routes",
    "issue_citizen_token",
    "issue_client_token",
]
