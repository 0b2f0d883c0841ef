"""authlib's framework-agnostic authorization server, wired to aiohttp and the hub database.

authlib has no aiohttp integration, and its grants are synchronous: they call
``query_client``, ``query_authorization_code``, ``authenticate_refresh_token`` and the
token generator as plain functions. So each authlib call runs in a worker thread
(:func:`asyncio.to_thread`), and those functions hand their database work back to the
event loop (:meth:`SignIn.call`), which stays free meanwhile. The request authlib sees is
:class:`HubRequest` (an ``OAuth2Request`` built from what the aiohttp handler already
read), and :meth:`HubAuthorizationServer.handle_response` returns authlib's
``(status, body, headers)`` for the handler to turn into an aiohttp response.

What is authlib's, what is the hub's:

- authlib: the authorization request's checks (client, exact redirect URI, response
  type, repeated parameters), PKCE (RFC 7636, here S256 only and always required), the
  code and refresh grants' order of checks and their RFC 6749 errors, RFC 7009.
- the hub: client authentication (one answer for every failure, like client
  credentials), the purpose and its scopes, codes and refresh tokens stored hashed,
  single use with replay detection, and the RFC 9068 access tokens of hub/auth/tokens.py.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from multidict import CIMultiDict

from hub.auth.client_secrets import dummy_hash, verify_secret
from hub.auth.clients import Client, get_client
from hub.auth.errors import REALM, AuthError, TokenRequestError
from hub.auth.scopes import (
    CITIZEN_SCOPES,
    ScopeSyntaxError,
    check_purpose_code,
    format_scope,
    unknown_scopes,
)
from hub.auth.scopes import parse_scope as parse_scope_text
from hub.auth.server import basic_credentials
from hub.auth.tokens import issue_app_token
from hub.oauth import store

if TYPE_CHECKING:
    from hub.oauth.runtime import SignIn

AUTH_METHODS: Final = ["client_secret_basic", "client_secret_post", "none"]
CODE_GRANTS: Final = ("authorization_code", "refresh_token")
_LOOPBACK: Final = frozenset({"127.0.0.1", "::1", "localhost"})

Answer = tuple[int, Any, list[tuple[str, str]]]


def redirect_uri_matches(registered: Sequence[str], given: str) -> bool:
    """Exact match (RFC 6749 §3.1.2.3), except that a loopback redirect URI may come back
    on any port (RFC 8252 §7.3: a native or local app listens where it can)."""
    if given in registered:
        return True
    try:
        asked = urlsplit(given)
        asked_port = asked.port
    except ValueError:
        return False
    if asked.scheme != "http" or asked.hostname not in _LOOPBACK or asked_port is None:
        return False
    for uri in registered:
        known = urlsplit(uri)
        if (
            known.scheme == "http"
            and known.hostname == asked.hostname
            and known.path == asked.path
            and known.query == asked.query
            and not asked.fragment
        ):
            return True
    return False


class AppClient(ClientMixin):  # type: ignore[misc]
    """A registered :class:`Client` as authlib's ClientMixin."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.client_id = client.client_id

    def get_client_id(self) -> str:
        return self.client.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.client.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        # Checked by CodeGrant against the purpose, with an error that says what is wrong.
        return scope or ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri_matches(self.client.redirect_uris, redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return verify_secret(client_secret, self.client.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.client.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and bool(self.client.redirect_uris)

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in CODE_GRANTS and bool(self.client.redirect_uris)


@dataclass(frozen=True, slots=True)
class CitizenGrant:
    """The citizen an authorization acts for, and what they allowed (authlib's "user")."""

    subject: str
    nik: str
    scopes: frozenset[str]
    purpose: str
    consent_id: str | None
    grant_id: str | None = None


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, lists: Mapping[str, list[str]]) -> None:
        self._lists = {k: list(v) for k, v in lists.items()}
        self._data = {k: v[0] for k, v in self._lists.items() if v}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._lists


class HubRequest(OAuth2Request):  # type: ignore[misc]
    """What an aiohttp handler read, as authlib's request: ``params`` are the OAuth
    parameters (the query of the authorization endpoint, the form of the others)."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        params: Mapping[str, list[str]],
    ) -> None:
        # Case-insensitive, as HTTP header names are (authlib reads "Authorization").
        super().__init__(method, uri, headers=CIMultiDict(headers))
        self.payload = _Payload(params)
        self.purpose: str | None = None

    @property
    def args(self) -> dict[str, str]:
        return dict(self.payload.data)

    @property
    def form(self) -> dict[str, str]:
        return dict(self.payload.data)


class S256Challenge(CodeChallenge):  # type: ignore[misc]
    """PKCE, required of every client, S256 only (``plain`` would show the verifier)."""

    SUPPORTED_CODE_CHALLENGE_METHOD: Final = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD: Final = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError(
                "code_challenge is missing: PKCE (RFC 7636) with S256 is required"
            )
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256 (plain is refused)")
        super().validate_code_challenge(grant, redirect_uri)


@dataclass(frozen=True, slots=True)
class _Code:
    """A stored authorization code as authlib (and its PKCE extension) reads it."""

    record: store.CodeRecord

    @property
    def code_challenge(self) -> str:
        return self.record.code_challenge

    @property
    def code_challenge_method(self) -> str:
        return self.record.code_challenge_method

    def get_redirect_uri(self) -> str | None:
        return self.record.redirect_uri

    def get_scope(self) -> str:
        return format_scope(self.record.scopes)


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: Final = AUTH_METHODS
    server: HubAuthorizationServer

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        try:
            self._purpose_and_scopes()
        except OAuth2Error as error:
            error.redirect_uri = redirect_uri
            raise
        return redirect_uri

    def _purpose_and_scopes(self) -> None:
        """The purpose (named, or the client's only one) and the scopes asked, which must be
        within what that purpose allows a citizen to grant."""
        request: HubRequest = self.request
        client: Client = request.client.client
        data, lists = request.payload.data, request.payload.datalist
        for name in ("purpose", "code_challenge", "code_challenge_method"):
            if len(lists.get(name, [])) > 1:
                raise InvalidRequestError(f"parameter {name} is repeated")
        purpose = data.get("purpose")
        if purpose is None:
            if len(client.purposes) != 1:
                codes = ", ".join(sorted(client.purposes)) or "none registered"
                raise InvalidRequestError(
                    f"purpose is missing: name one of the client's purposes ({codes})"
                )
            purpose = next(iter(client.purposes))
        try:
            check_purpose_code(purpose)
        except ScopeSyntaxError:
            raise InvalidRequestError("purpose is not a purpose code") from None
        if purpose not in client.purposes:
            raise InvalidRequestError(f"purpose {purpose} is not registered for this client")
        allowed = client.purposes[purpose] & CITIZEN_SCOPES
        asked = data.get("scope")
        if not asked:
            scopes = allowed
        else:
            try:
                scopes = parse_scope_text(asked)
            except ScopeSyntaxError as exc:
                raise InvalidScopeError(str(exc)) from None
            if unknown := unknown_scopes(scopes):
                raise InvalidScopeError(f"unknown scope {', '.join(unknown)}")
            if beyond := sorted(scopes - allowed):
                raise InvalidScopeError(
                    f"scope {', '.join(beyond)} is not allowed for purpose {purpose}"
                )
        if not scopes:
            raise InvalidScopeError(f"purpose {purpose} allows no scope a citizen can grant")
        request.scope = format_scope(scopes)
        request.purpose = purpose

    def save_authorization_code(self, code: str, request: HubRequest) -> None:
        user: CitizenGrant = request.user
        data = request.payload.data
        self.server.sign_in.call(
            store.save_code(
                self.server.sign_in.pool,
                code,
                client_id=request.client.client_id,
                redirect_uri=data.get("redirect_uri"),
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                subject=user.subject,
                nik=user.nik,
                scopes=user.scopes,
                purpose=user.purpose,
                consent_id=user.consent_id,
                now=self.server.sign_in.now(),
                seconds=self.server.sign_in.auth.authorization_code_seconds,
            )
        )

    def query_authorization_code(self, code: str, client: AppClient) -> _Code:
        sign_in = self.server.sign_in
        try:
            record = sign_in.call(
                store.consume_code(sign_in.pool, code, client.client_id, sign_in.now())
            )
        except store.CodeProblem as problem:
            raise InvalidGrantError(str(problem)) from None
        return _Code(record)

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        """Used already (:func:`store.consume_code`), and linked to its grant."""

    def authenticate_user(self, authorization_code: _Code) -> CitizenGrant:
        """The exchange is valid (PKCE included): start the citizen's sign-in into the app."""
        code = authorization_code.record
        sign_in = self.server.sign_in

        async def start() -> str:
            async with sign_in.pool.acquire() as conn, conn.transaction():
                grant_id = await store.create_grant(
                    conn,
                    client_id=code.client_id,
                    subject=code.subject,
                    nik=code.nik,
                    scopes=code.scopes,
                    purpose=code.purpose,
                    consent_id=code.consent_id,
                    now=sign_in.now(),
                    seconds=sign_in.auth.refresh_token_seconds,
                )
                await store.link_code(conn, code.code_hash, grant_id)
            return grant_id

        return CitizenGrant(
            code.subject,
            code.nik,
            code.scopes,
            code.purpose,
            code.consent_id,
            sign_in.call(start()),
        )


@dataclass(frozen=True, slots=True)
class _Refresh:
    grant: store.GrantRecord

    def check_client(self, client: AppClient) -> bool:
        return self.grant.client_id == client.client_id

    def get_scope(self) -> str:
        return format_scope(self.grant.scopes)


class RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    """Refresh tokens rotate: each use returns a new one, and the old one, presented
    again, revokes the whole sign-in (RFC 9700 §4.14.2)."""

    TOKEN_ENDPOINT_AUTH_METHODS: Final = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN: Final = True
    server: HubAuthorizationServer

    def authenticate_refresh_token(self, refresh_token: str) -> _Refresh:
        sign_in = self.server.sign_in
        client_id = self.request.client.client_id
        try:
            grant = sign_in.call(
                store.use_refresh_token(sign_in.pool, refresh_token, client_id, sign_in.now())
            )
        except store.RefreshProblem as problem:
            raise InvalidGrantError(str(problem)) from None
        return _Refresh(grant)

    def authenticate_user(self, refresh_token: _Refresh) -> CitizenGrant:
        g = refresh_token.grant
        return CitizenGrant(g.subject, g.nik, g.scopes, g.purpose, g.consent_id, g.id)

    def revoke_old_credential(self, refresh_token: _Refresh) -> None:
        """Marked used already, in the same statement that read it."""


@dataclass(frozen=True, slots=True)
class _Revocable:
    grant_id: str
    client_id: str

    def check_client(self, client: AppClient) -> bool:
        return self.client_id == client.client_id


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009: a refresh token, or an access token of a sign-in, revokes that sign-in
    (its refresh tokens at once, its access tokens within the revocation cache)."""

    CLIENT_AUTH_METHODS: Final = AUTH_METHODS
    server: HubAuthorizationServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Revocable | None:
        sign_in = self.server.sign_in
        found: _Revocable | None = sign_in.call(sign_in.revocable(token_string, token_type_hint))
        return found

    def revoke_token(self, token: _Revocable, request: HubRequest) -> None:
        sign_in = self.server.sign_in
        sign_in.call(
            store.revoke_grant(sign_in.pool, token.grant_id, sign_in.now(), "revoked by the app")
        )


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
        """client_secret_basic, client_secret_post, or none (a public client naming its
        client_id); one answer for an unknown client, a wrong secret and a revoked one."""
        form = request.payload.data
        authorization = request.headers.get("Authorization")
        secret: str | None
        if authorization is not None:
            if "client_secret" in form:
                raise InvalidRequestError(
                    "authenticate either with HTTP Basic or client_secret, not both"
                )
            try:
                client_id, secret = basic_credentials(authorization)
            except TokenRequestError as exc:
                raise InvalidClientError(description=exc.description, status_code=401) from None
            if form.get("client_id", client_id) != client_id:
                raise InvalidRequestError(
                    "client_id in the body is not the one in the Basic credentials"
                )
            method = "client_secret_basic"
        elif "client_secret" in form:
            client_id, secret, method = (
                form.get("client_id", ""),
                form["client_secret"],
                ("client_secret_post"),
            )
        else:
            client_id, secret, method = form.get("client_id", ""), None, "none"
            if not client_id:
                raise InvalidClientError(
                    description="client authentication is missing: a public client sends its"
                    " client_id, a confidential one HTTP Basic or client_secret",
                    status_code=401,
                )
        client = self.sign_in.call(get_client(self.sign_in.pool, client_id)) if client_id else None
        if method == "none":
            ok = client is not None and client.public
            if client is not None and not client.public and not client.revoked:
                raise InvalidClientError(
                    description="this client is confidential: authenticate with HTTP Basic"
                    " or client_secret",
                    status_code=401,
                )
        else:
            stored = client.secret_hash if client is not None else dummy_hash()
            ok = verify_secret(secret or "", stored) and client is not None
        if client is None or not ok or client.revoked or method not in methods:
            raise InvalidClientError(description="client authentication failed", status_code=401)
        request.auth_method = method
        return AppClient(client)

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


async def find_revocable(
    sign_in: SignIn, token: str, hint: str | None, validator: Any
) -> _Revocable | None:
    """The sign-in a refresh token, or an access token of the hub's, belongs to."""
    if hint != "access_token":
        grant = await store.find_refresh_grant(sign_in.pool, token)
        if grant is not None:
            return _Revocable(grant.id, grant.client_id)
    if validator is None or token.count(".") != 2:
        return None
    try:
        principal = await validator.authenticate("Bearer " + token)
    except AuthError:
        return None  # RFC 7009 §2.2: an invalid token needs no revoking; the answer is 200
    if principal.grant_id is None:
        return None
    return _Revocable(principal.grant_id, principal.client_id)


def answer_headers(headers: list[tuple[str, str]], status: int, body: Any) -> dict[str, str]:
    """authlib's headers, with the hub's challenge for invalid_client (as client credentials
    answers it) and no-store on every token response."""
    out = {name: value for name, value in headers if name.lower() != "content-type"}
    if isinstance(body, dict) and body.get("error") == "invalid_client" and status == 401:
        out["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    out["Cache-Control"] = "no-store"
    out["Pragma"] = "no-cache"
    return out


async def in_thread(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run an authlib call in a worker thread (its callbacks come back to this loop)."""
    return await asyncio.to_thread(function, *args, **kwargs)
