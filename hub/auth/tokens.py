"""Issuing RFC 9068 JWT access tokens: for registered clients, and citizen tokens for the demo."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from joserfc import jwt

from hub.auth.clients import Client, get_client
from hub.auth.errors import KeyStoreError, TokenRequestError
from hub.auth.keys import KeySealer, SigningKeys
from hub.auth.scopes import (
    CITIZEN_SCOPES,
    ScopeSyntaxError,
    check_purpose_code,
    format_scope,
    parse_scope,
    unknown_scopes,
)
from hub.settings import SIGNING_ALGS
from identity.nik import NIK

if TYPE_CHECKING:
    import asyncpg

    from hub.migrate import Connection
    from hub.settings import AuthSettings

#: The ``client_id`` of citizen tokens minted by ``citizen-hub token --citizen`` (an operator
#: command, not a registered client: registered ids start with ``ch_``, so they never clash).
CLI_CLIENT_ID: Final = "citizen-hub-cli"
#: The JWT ``typ`` header of an access token (RFC 9068 §2.1).
AT_JWT: Final = "at+jwt"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A signed access token and what the token endpoint answers about it."""

    access_token: str
    expires_in: int
    scope: str
    claims: Mapping[str, Any]

    def response(self) -> dict[str, Any]:
        """The RFC 6749 §5.1 token response."""
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        }


def signing_keys(auth: AuthSettings) -> SigningKeys:
    """The hub's signing keys as ``auth`` configures them (alg, key-encryption key)."""
    return SigningKeys(KeySealer(auth.key_encryption_key), auth.signing_alg)


def grant_scopes(client: Client, requested: str | None, purpose: str | None) -> frozenset[str]:
    """The scopes a token for ``client`` gets, or the RFC 6749 error refusing the request.

    Without ``scope``: all the purpose allows, or all the client is given. With it: exactly
    those scopes, each of which the client (and the purpose, if named) must allow.
    """
    if purpose is not None:
        try:
            check_purpose_code(purpose)
        except ScopeSyntaxError as exc:
            raise TokenRequestError("invalid_request", str(exc)) from None
        if purpose not in client.purposes:
            raise TokenRequestError(
                "invalid_request", f"purpose {purpose} is not registered for this client"
            )
    ceiling = client.purposes[purpose] if purpose is not None else client.scopes
    if requested is None:
        return ceiling
    if not requested:
        raise TokenRequestError(
            "invalid_scope", "scope is empty; leave it out to get every allowed scope"
        )
    try:
        scopes = parse_scope(requested)
    except ScopeSyntaxError as exc:
        raise TokenRequestError("invalid_scope", str(exc)) from None
    if unknown := unknown_scopes(scopes):
        raise TokenRequestError("invalid_scope", f"unknown scope {', '.join(unknown)}")
    if beyond := sorted(scopes - client.scopes):
        raise TokenRequestError(
            "invalid_scope", f"scope {', '.join(beyond)} is not allowed for this client"
        )
    if beyond := sorted(scopes - ceiling):
        raise TokenRequestError(
            "invalid_scope", f"scope {', '.join(beyond)} is not allowed for purpose {purpose}"
        )
    return scopes


async def issue_for_client(
    conn: Connection,
    auth: AuthSettings,
    client: Client,
    *,
    scope: str | None = None,
    purpose: str | None = None,
    now: float | None = None,
) -> IssuedToken:
    """A token for ``client`` (already authenticated, or named by the operator)."""
    if client.revoked:
        raise TokenRequestError("invalid_client", "client authentication failed")
    scopes = grant_scopes(client, scope, purpose)
    extra: dict[str, Any] = {"purpose": purpose} if purpose is not None else {}
    return await _issue(
        conn, auth, client.client_id, client.client_id, scopes, auth.token_seconds, extra, now
    )


async def issue_client_token(
    pool: asyncpg.Pool,
    auth: AuthSettings,
    client_id: str,
    *,
    scope: str | None = None,
    purpose: str | None = None,
    now: float | None = None,
) -> IssuedToken:
    """A partner token for ``client_id``, as /oauth/token would issue it, without the secret.

    Raises :class:`TokenRequestError` as the endpoint would answer (unknown or revoked
    client, scope or purpose not allowed).
    """
    async with pool.acquire() as conn:
        client = await get_client(conn, client_id)
        if client is None:
            raise TokenRequestError("invalid_client", f"no client {client_id}")
        return await issue_for_client(conn, auth, client, scope=scope, purpose=purpose, now=now)


async def issue_citizen_token(
    pool: asyncpg.Pool,
    auth: AuthSettings,
    nik: str,
    *,
    scopes: Iterable[str] = CITIZEN_SCOPES,
    now: float | None = None,
) -> IssuedToken:
    """A token for the citizen ``nik`` (raises identity.nik.InvalidNIK if it is not one).

    Claims: ``nik`` (the 16 digits), ``sub`` ``citizen:<pseudonym>`` (an HMAC of the NIK
    under a key the hub keeps, so the NIK is not the subject in logs), ``client_id``
    :data:`CLI_CLIENT_ID`, and the citizen's own-data scopes.
    """
    parsed = NIK.parse(nik)
    granted = frozenset(scopes)
    if unknown := unknown_scopes(granted):
        raise TokenRequestError("invalid_scope", f"unknown scope {', '.join(unknown)}")
    async with pool.acquire() as conn:
        subject = "citizen:" + await citizen_pseudonym(conn, parsed)
        extra = {"nik": str(parsed)}
        return await _issue(
            conn, auth, subject, CLI_CLIENT_ID, granted, auth.citizen_token_seconds, extra, now
        )


async def issue_app_token(
    conn: Connection,
    auth: AuthSettings,
    *,
    client_id: str,
    subject: str,
    nik: str,
    scopes: frozenset[str],
    purpose: str,
    grant_id: str,
    consent_id: str | None = None,
    now: float | None = None,
) -> IssuedToken:
    """An access token for app ``client_id`` acting for a signed-in citizen (hub.oauth).

    Claims: ``sub`` the citizen's ``citizen:<pseudonym>``, ``client_id`` the app, ``nik``,
    the consented ``scope``, the app's ``purpose``, ``sid`` (the sign-in, whose
    revocation refuses the token) and ``consent_id`` (the consent it was bought under;
    absent for a first-party app); lifetime ``auth.app_token_seconds``.
    """
    extra = {"nik": str(NIK.parse(nik)), "purpose": purpose, "sid": grant_id}
    if consent_id is not None:
        extra["consent_id"] = consent_id
    return await _issue(conn, auth, subject, client_id, scopes, auth.app_token_seconds, extra, now)


async def citizen_pseudonym(conn: Connection, nik: NIK) -> str:
    """A stable pseudonym of ``nik``: HMAC-SHA-256 under the hub's 'citizen-subject' key."""
    await conn.execute(
        "INSERT INTO oauth_hub_secrets (name, value) VALUES ('citizen-subject', $1)"
        " ON CONFLICT (name) DO NOTHING",
        secrets.token_bytes(32),
    )
    key: bytes = await conn.fetchval(
        "SELECT value FROM oauth_hub_secrets WHERE name = 'citizen-subject'"
    )
    return hmac.new(key, str(nik).encode("ascii"), hashlib.sha256).hexdigest()[:32]


async def _issue(
    conn: Connection,
    auth: AuthSettings,
    subject: str,
    client_id: str,
    scopes: frozenset[str],
    lifetime: int,
    extra: Mapping[str, Any],
    now: float | None,
) -> IssuedToken:
    issued_at = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": auth.issuer,
        "sub": subject,
        "aud": auth.audience,
        "client_id": client_id,
        "scope": format_scope(scopes),
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + lifetime,
        "jti": secrets.token_urlsafe(16),
        **extra,
    }
    key = await signing_keys(auth).active(conn)
    if key.alg not in SIGNING_ALGS:
        raise KeyStoreError(f"signing key {key.kid} has no usable alg ({key.alg!r})")
    header = {"alg": key.alg, "typ": AT_JWT, "kid": key.kid}
    token = jwt.encode(header, claims, key, algorithms=[key.alg])
    return IssuedToken(token, lifetime, claims["scope"], claims)
