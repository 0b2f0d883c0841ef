"""The hub's authorization server over aiohttp: client credentials, JWKS, RFC 8414 metadata.

The token endpoint is a pipeline with an RFC 6749 §5.2 error for each step: read the form
(invalid_request), the grant type (unsupported_grant_type), the client's credentials
(invalid_client, 401), then scope and purpose (invalid_scope, invalid_request).

When citizens can sign in to apps (hub.oauth, set up by ``add_sign_in_routes``), the same
endpoint also serves ``authorization_code`` and ``refresh_token``: the form is read here,
the rest is :data:`CODE_FLOW`'s, and the metadata advertises what it adds.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import unquote_plus

from aiohttp import web

from hub.auth.client_secrets import dummy_hash, verify_secret
from hub.auth.clients import Client, get_client
from hub.auth.errors import TokenRequestError
from hub.auth.keys import published_jwks
from hub.auth.scopes import SCOPES
from hub.auth.tokens import issue_for_client, signing_keys
from hub.auth.validate import TokenValidator

if TYPE_CHECKING:
    import asyncpg
    from multidict import MultiDictProxy

    from hub.settings import AuthSettings

log = logging.getLogger("citizen_hub.auth")

#: The resource server's validator, built at startup; use ``request.app[TOKEN_VALIDATOR]``.
TOKEN_VALIDATOR: Final = web.AppKey("token_validator", TokenValidator)

TOKEN_PATH: Final = "/oauth/token"  # noqa: S105 (a URL path, not a secret)
JWKS_PATH: Final = "/.well-known/jwks.json"
METADATA_PATH: Final = "/.well-known/oauth-authorization-server"
#: The same document, where OpenID Connect clients look for it (RFC 8414 §5).
OPENID_METADATA_PATH: Final = "/.well-known/openid-configuration"


class CodeFlow(Protocol):
    """The grants citizens' apps use (hub.oauth), served at the same token endpoint."""

    grant_types: tuple[str, ...]

    async def token(self, request: web.Request, form: dict[str, str]) -> web.Response:
        """Answer a token request whose grant_type is one of :attr:`grant_types`."""
        ...

    def metadata(self, base: str) -> dict[str, Any]:
        """What the RFC 8414 metadata adds (endpoints under ``base``, grant types...)."""
        ...


#: Set by hub.oauth when citizens can sign in to apps; absent otherwise.
CODE_FLOW: Final = web.AppKey[CodeFlow]("code_flow")
_NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_FORM: Final = "application/x-www-form-urlencoded"


def add_oauth_routes(
    app: web.Application,
    auth: AuthSettings,
    hub_pool: web.AppKey[asyncpg.Pool],
    *,
    clock: Callable[[], float] = time.time,
) -> None:
    """Serve ``POST /oauth/token``, the JWKS and the RFC 8414 metadata, and at startup
    (once ``app[hub_pool]`` exists: register this after the pool's cleanup context) make
    sure a signing key exists and build the :class:`TokenValidator` into
    ``app[TOKEN_VALIDATOR]``, closed at shutdown."""
    endpoints = _Endpoints(auth, hub_pool, clock)
    app.router.add_post(TOKEN_PATH, endpoints.token)
    app.router.add_get(JWKS_PATH, endpoints.jwks)
    app.router.add_get(METADATA_PATH, endpoints.metadata)
    app.router.add_get(OPENID_METADATA_PATH, endpoints.metadata)
    app.cleanup_ctx.append(endpoints.lifecycle)


class _Endpoints:
    def __init__(
        self, auth: AuthSettings, hub_pool: web.AppKey[asyncpg.Pool], clock: Callable[[], float]
    ) -> None:
        self.auth = auth
        self.hub_pool = hub_pool
        self.clock = clock

    async def lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        pool = app[self.hub_pool]
        keys = signing_keys(self.auth)
        async with pool.acquire() as conn:
            await keys.ensure(conn)
            # Unseal it now: a wrong key-encryption key stops the hub at startup, with the
            # reason, instead of failing every token request later.
            kid = (await keys.active(conn)).kid
        log.info("signing access tokens with key %s", kid)
        validator = TokenValidator.from_settings(self.auth, pool, clock=self.clock)
        app[TOKEN_VALIDATOR] = validator
        try:
            yield
        finally:
            await validator.close()

    async def token(self, request: web.Request) -> web.Response:
        """RFC 6749 §4.4: the client credentials grant."""
        try:
            form = await token_form(request)
            grant_type = form.get("grant_type")
            if grant_type is None:
                raise TokenRequestError("invalid_request", "grant_type is missing")
            code_flow = request.app.get(CODE_FLOW)
            if code_flow is not None and grant_type in code_flow.grant_types:
                return await code_flow.token(request, form)
            if grant_type != "client_credentials":
                if code_flow is None:
                    raise TokenRequestError(
                        "unsupported_grant_type", "only grant_type=client_credentials is supported"
                    )
                supported = ", ".join(("client_credentials", *code_flow.grant_types))
                raise TokenRequestError(
                    "unsupported_grant_type", f"grant_type must be one of {supported}"
                )
            pool = request.app[self.hub_pool]
            client = await _authenticate_client(pool, request, form)
            async with pool.acquire() as conn:
                issued = await issue_for_client(
                    conn,
                    self.auth,
                    client,
                    scope=form.get("scope"),
                    purpose=form.get("purpose"),
                    now=self.clock(),
                )
        except TokenRequestError as exc:
            return web.json_response(exc.body, status=exc.status, headers=exc.headers)
        return web.json_response(issued.response(), headers=_NO_STORE)

    async def jwks(self, request: web.Request) -> web.Response:
        """The public keys of every signing key not retired (RFC 7517 JWK Set)."""
        async with request.app[self.hub_pool].acquire() as conn:
            keys = await published_jwks(conn)
        return web.json_response(
            {"keys": keys},
            headers={"Cache-Control": "public, max-age=300"},
            content_type="application/jwk-set+json",
        )

    async def metadata(self, request: web.Request) -> web.Response:
        """RFC 8414 authorization server metadata."""
        origin = str(request.url.origin())
        document = server_metadata(self.auth, origin)
        code_flow = request.app.get(CODE_FLOW)
        if code_flow is not None:
            document.update(code_flow.metadata(public_base(self.auth, origin)))
        return web.json_response(document, headers={"Cache-Control": "public, max-age=300"})


def server_metadata(auth: AuthSettings, origin: str) -> dict[str, Any]:
    """The metadata document. Endpoints hang off the issuer when it is a URL (production:
    the hub's public https address), else off ``origin``, where the request came in.

    ``response_types_supported`` is RFC 8414's required member, empty: this server has no
    authorization endpoint, so no response type.
    """
    base = public_base(auth, origin)
    return {
        "issuer": auth.issuer,
        "token_endpoint": base + TOKEN_PATH,
        "jwks_uri": base + JWKS_PATH,
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": sorted(SCOPES),
        "response_types_supported": [],
    }


def public_base(auth: AuthSettings, origin: str) -> str:
    """Where the hub's endpoints are: the issuer when it is a URL, else ``origin``."""
    base = auth.issuer if auth.issuer.startswith(("https://", "http://")) else origin
    return base.rstrip("/")


async def token_form(request: web.Request) -> dict[str, str]:
    """The parameters of a token (or revocation) request: form-encoded, none repeated."""
    if request.content_type != _FORM:
        raise TokenRequestError("invalid_request", f"send the parameters as {_FORM}")
    posted: MultiDictProxy[Any] = await request.post()
    form: dict[str, str] = {}
    for name in posted:
        values = posted.getall(name)
        if len(values) > 1:
            raise TokenRequestError("invalid_request", f"parameter {name[:40]} is repeated")
        if not isinstance(values[0], str):
            raise TokenRequestError("invalid_request", f"parameter {name[:40]} is not text")
        form[name] = values[0]
    return form


async def _authenticate_client(
    pool: asyncpg.Pool, request: web.Request, form: dict[str, str]
) -> Client:
    """client_secret_basic or client_secret_post (RFC 6749 §2.3.1); never both."""
    authorization = request.headers.get("Authorization")
    if authorization is not None:
        if "client_secret" in form:
            raise TokenRequestError(
                "invalid_request", "authenticate either with HTTP Basic or client_secret, not both"
            )
        client_id, secret = basic_credentials(authorization)
        if form.get("client_id", client_id) != client_id:
            raise TokenRequestError(
                "invalid_request", "client_id in the body is not the one in the Basic credentials"
            )
    elif "client_id" in form and "client_secret" in form:
        client_id, secret = form["client_id"], form["client_secret"]
    else:
        raise TokenRequestError(
            "invalid_client",
            "client authentication is missing: use HTTP Basic (client_secret_basic) or"
            " client_id and client_secret in the body (client_secret_post)",
        )
    client = await get_client(pool, client_id) if client_id else None
    stored = client.secret_hash if client is not None else dummy_hash()
    matches = await asyncio.to_thread(verify_secret, secret, stored)
    # One answer for an unknown client, a wrong secret and a revoked client: the endpoint
    # must not tell a guesser which client ids exist.
    if client is None or not matches or client.revoked:
        raise TokenRequestError("invalid_client", "client authentication failed")
    return client


def basic_credentials(authorization: str) -> tuple[str, str]:
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise TokenRequestError(
            "invalid_client",
            "the token endpoint takes HTTP Basic client credentials, not " + scheme[:20],
        )
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise TokenRequestError("invalid_client", "the Basic credentials are not base64") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise TokenRequestError("invalid_client", "the Basic credentials have no ':'")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
    return unquote_plus(client_id), unquote_plus(secret)
