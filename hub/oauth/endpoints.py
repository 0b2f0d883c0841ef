"""The code flow's side of ``/oauth/token`` (``authorization_code``, ``refresh_token``),
``/oauth/revoke`` (RFC 7009) and what they add to the RFC 8414 metadata."""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web
from authlib.oauth2.rfc6749 import OAuth2Error

from hub.auth.errors import TokenRequestError
from hub.auth.server import TOKEN_PATH, token_form
from hub.oauth.adapter import HubRequest, answer_headers, in_thread
from hub.oauth.app_clients import AUTH_METHODS, CODE_GRANTS
from hub.oauth.runtime import SignIn
from hub.oauth.texts import LANGS

AUTHORIZE_PATH: Final = "/oauth/authorize"
REVOKE_PATH: Final = "/oauth/revoke"


class CodeFlowEndpoints:
    """hub.auth.server.CodeFlow: what the token endpoint hands over, and the metadata."""

    grant_types: tuple[str, ...] = CODE_GRANTS

    def __init__(self, sign_in: SignIn) -> None:
        self.sign_in = sign_in

    async def token(self, request: web.Request, form: dict[str, str]) -> web.Response:
        return await self._answer(request, TOKEN_PATH, form, "token")

    async def revoke(self, request: web.Request) -> web.Response:
        """POST /oauth/revoke: 200 whether or not the token was known (RFC 7009 §2.2)."""
        try:
            form = await token_form(request)
        except TokenRequestError as exc:
            return web.json_response(exc.body, status=exc.status, headers=exc.headers)
        return await self._answer(request, REVOKE_PATH, form, "revocation")

    async def _answer(
        self, request: web.Request, path: str, form: dict[str, str], endpoint: str
    ) -> web.Response:
        server = self.sign_in.server
        try:
            oauth_request = HubRequest(
                "POST",
                self.sign_in.base(request) + path,
                request.headers,
                {name: [value] for name, value in form.items()},
            )
        except OAuth2Error as error:  # plain http to an address that is not loopback
            status, body, headers = error()
        else:
            if endpoint == "token":
                status, body, headers = await in_thread(server.create_token_response, oauth_request)
            else:
                status, body, headers = await in_thread(
                    server.create_endpoint_response, "revocation", oauth_request
                )
        return web.json_response(body, status=status, headers=answer_headers(headers, status, body))

    def metadata(self, base: str) -> dict[str, Any]:
        return {
            "authorization_endpoint": base + AUTHORIZE_PATH,
            "revocation_endpoint": base + REVOKE_PATH,
            "grant_types_supported": ["client_credentials", *CODE_GRANTS],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "authorization_response_iss_parameter_supported": True,
            "ui_locales_supported": list(LANGS),
        }
