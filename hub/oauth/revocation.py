"""RFC 7009 revocation: a refresh token, or an access token of a sign-in, revokes that
sign-in (:class:`Revocation`, authlib's endpoint; :func:`find_revocable` finds it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from authlib.oauth2.rfc7009 import RevocationEndpoint

from hub.auth.errors import AuthError
from hub.oauth import store
from hub.oauth.app_clients import AUTH_METHODS

if TYPE_CHECKING:
    from hub.oauth.adapter import HubRequest
    from hub.oauth.app_clients import AppClient
    from hub.oauth.authorization import HubAuthorizationServer
    from hub.oauth.runtime import SignIn


@dataclass(frozen=True, slots=True)
class Revocable:
    """The sign-in a presented token belongs to, and the app it was issued to."""

    grant_id: str
    client_id: str

    def check_client(self, client: AppClient) -> bool:
        return self.client_id == client.client_id


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009: a refresh token, or an access token of a sign-in, revokes that sign-in
    (its refresh tokens at once, its access tokens within the revocation cache)."""

    CLIENT_AUTH_METHODS: Final = AUTH_METHODS
    server: HubAuthorizationServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> Revocable | None:
        sign_in = self.server.sign_in
        found: Revocable | None = sign_in.call(sign_in.revocable(token_string, token_type_hint))
        return found

    def revoke_token(self, token: Revocable, request: HubRequest) -> None:
        sign_in = self.server.sign_in
        sign_in.call(
            store.revoke_grant(sign_in.pool, token.grant_id, sign_in.now(), "revoked by the app")
        )


async def find_revocable(
    sign_in: SignIn, token: str, hint: str | None, validator: Any
) -> Revocable | None:
    """The sign-in a refresh token, or an access token of the hub's, belongs to."""
    if hint != "access_token":
        grant = await store.find_refresh_grant(sign_in.pool, token)
        if grant is not None:
            return Revocable(grant.id, grant.client_id)
    if validator is None or token.count(".") != 2:
        return None
    try:
        principal = await validator.authenticate("Bearer " + token)
    except AuthError:
        return None  # RFC 7009 §2.2: an invalid token needs no revoking; the answer is 200
    if principal.grant_id is None:
        return None
    return Revocable(principal.grant_id, principal.client_id)
