"""The grants citizens' apps use, as authlib grants on the hub's store: the
authorization code with PKCE (S256 only, always required; the purpose and its scopes
checked), and rotating refresh tokens. :class:`CitizenGrant` is authlib's "user": the
citizen an authorization acts for, and what they allowed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from authlib.oauth2.rfc6749 import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc7636 import CodeChallenge

from hub.auth.scopes import (
    CITIZEN_SCOPES,
    ScopeSyntaxError,
    check_purpose_code,
    format_scope,
    unknown_scopes,
)
from hub.auth.scopes import parse_scope as parse_scope_text
from hub.oauth import store
from hub.oauth.app_clients import AUTH_METHODS

if TYPE_CHECKING:
    from hub.auth.clients import Client
    from hub.oauth.adapter import HubRequest
    from hub.oauth.app_clients import AppClient
    from hub.oauth.authorization import HubAuthorizationServer


@dataclass(frozen=True, slots=True)
class CitizenGrant:
    """The citizen an authorization acts for, and what they allowed (authlib's "user")."""

    subject: str
    nik: str
    scopes: frozenset[str]
    purpose: str
    consent_id: str | None
    grant_id: str | None = None


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
