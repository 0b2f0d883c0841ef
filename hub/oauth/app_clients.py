"""Registered clients as authlib sees them (:class:`AppClient`), their redirect URIs
(:func:`redirect_uri_matches`) and how they authenticate at the token and revocation
endpoints (:func:`authenticate_app_client`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin, InvalidClientError, InvalidRequestError

from hub.auth.client_secrets import dummy_hash, verify_secret
from hub.auth.clients import Client, get_client
from hub.auth.errors import TokenRequestError
from hub.auth.server import basic_credentials

if TYPE_CHECKING:
    from hub.oauth.adapter import HubRequest
    from hub.oauth.runtime import SignIn

AUTH_METHODS: Final = ["client_secret_basic", "client_secret_post", "none"]
CODE_GRANTS: Final = ("authorization_code", "refresh_token")
_LOOPBACK: Final = frozenset({"127.0.0.1", "::1", "localhost"})


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


def authenticate_app_client(
    sign_in: SignIn, request: HubRequest, methods: Sequence[str]
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
    client = sign_in.call(get_client(sign_in.pool, client_id)) if client_id else None
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
