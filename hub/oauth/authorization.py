"""authlib's framework-agnostic authorization server, wired to aiohttp and the hub database.

authlib has no aiohttp integration, and its grants are synchronous: they call
``query_client``, ``query_authorization_code``, ``authenticate_refresh_token`` and the
token generator as plain functions. So each authlib call runs in a worker thread
(:func:`~hub.oauth.adapter.in_thread`), and those functions hand their database work back
to the event loop (:meth:`SignIn.call`), which stays free meanwhile. The request authlib
sees is :class:`~hub.oauth.adapter.HubRequest` (an ``OAuth2Request`` built from what the
aiohttp handler already read), and :meth:`HubAuthorizationServer.handle_response` returns
authlib's ``(status, body, headers)`` for the handler to turn into an aiohttp response.

What is authlib's, what is the hub's:

- authlib: the authorization request's checks (client, exact redirect URI, response
  type, repeated parameters), PKCE (RFC 7636, here S256 only and always required), the
  code and refresh grants' order of checks and their RFC 6749 errors, RFC 7009.
- the hub: client authentication (one answer for every failure, like client
  credentials), the purpose and its scopes, codes and refresh tokens stored hashed,
  single use with replay detection, and the RFC 9068 access tokens of hub/auth/tokens.py.

Where each part lives: :mod:`hub.oauth.adapter` (aiohttp ↔ authlib),
:mod:`hub.oauth.app_clients` (clients and their authentication), :mod:`hub.oauth.grants`
(the code and refresh grants), :mod:`hub.oauth.revocation` (RFC 7009); here the server
that registers them, and :func:`issue_tokens`, the token response.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import AuthorizationServer, InvalidGrantError

from hub.auth.clients import Client, get_client
from hub.auth.scopes import CITIZEN_SCOPES
from hub.auth.tokens import issue_app_token
from hub.oauth import store
from hub.oauth.adapter import Answer, HubRequest
from hub.oauth.app_clients import AppClient, authenticate_app_client
from hub.oauth.grants import CitizenGrant, CodeGrant, RefreshGrant, S256Challenge
from hub.oauth.revocation import Revocation

if TYPE_CHECKING:
    from hub.oauth.runtime import SignIn


class HubAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """authlib's AuthorizationServer for the hub: the code grant with S256 PKCE, rotating
    refresh tokens and RFC 7009 revocation."""

    def __init__(self, sign_in: SignIn) -> None:
        super().__init__(scopes_supported=sorted(CITIZEN_SCOPES))
        self.sign_in = sign_in
        self.register_grant(CodeGrant, [S256Challenge(required=True)])
        self.register_grant(RefreshGrant)
        self.register_endpoint(Revocation)
        self.register_token_generator("default", self._generate_token)

    # --- authlib's framework hooks ---

    def create_oauth2_request(self, request: object) -> HubRequest:
        if not isinstance(request, HubRequest):
            raise TypeError("the hub hands authlib a HubRequest")
        return request

    def create_json_request(self, request: object) -> HubRequest:
        return self.create_oauth2_request(request)

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Answer:
        return status, body, list(headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def validate_requested_scope(self, scope: str | None) -> None:
        """Checked by :class:`CodeGrant` against the purpose, with a precise error."""

    def query_client(self, client_id: str) -> AppClient | None:
        client = self.sign_in.call(get_client(self.sign_in.pool, client_id))
        if client is None or client.revoked:
            return None
        return AppClient(client)

    def save_token(self, token: dict[str, Any], request: HubRequest) -> None:
        """Saved while generated (:meth:`SignIn.issue`): the refresh token's digest."""

    def authenticate_client(
        self, request: HubRequest, methods: Sequence[str], endpoint: str = "token"
    ) -> AppClient:
        """client_secret_basic, client_secret_post or none: see
        :func:`~hub.oauth.app_clients.authenticate_app_client`."""
        return authenticate_app_client(self.sign_in, request, methods)

    def _generate_token(
        self,
        grant_type: str,
        client: AppClient,
        user: CitizenGrant | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        if user is None:
            raise InvalidGrantError("there is no citizen behind this grant")
        token: dict[str, Any] = self.sign_in.call(
            self.sign_in.issue(client.client, user, scope, include_refresh_token)
        )
        return token


async def issue_tokens(
    sign_in: SignIn,
    client: Client,
    user: CitizenGrant,
    scope: str | None,
    include_refresh_token: bool,
) -> dict[str, Any]:
    """The token response of a sign-in (its grant exists): an RFC 9068 access token with
    the scopes asked (within the grant and what the purpose allows today), and a fresh
    refresh token (its digest stored in the grant's family)."""
    assert user.grant_id is not None
    now = sign_in.now()
    allowed = client.purposes.get(user.purpose, frozenset()) & user.scopes
    scopes = frozenset(scope.split()) & allowed if scope else allowed
    if not scopes:
        raise InvalidGrantError(
            f"purpose {user.purpose} no longer allows the scopes this sign-in was given"
        )
    async with sign_in.pool.acquire() as conn, conn.transaction():
        issued = await issue_app_token(
            conn,
            sign_in.auth,
            client_id=client.client_id,
            subject=user.subject,
            nik=user.nik,
            scopes=scopes,
            purpose=user.purpose,
            grant_id=user.grant_id,
            consent_id=user.consent_id,
            now=now,
        )
        response = issued.response()
        if include_refresh_token:
            refresh = secrets.token_urlsafe(32)
            await store.add_refresh_token(conn, user.grant_id, refresh, now)
            response["refresh_token"] = refresh
    return response
