"""Helpers of the OAuth tests: test keys, tokens signed with them, the classic forgeries,
and a JWKS endpoint on loopback that counts its fetches."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

CITIZEN_NIK = "3671014107900003"  # valid: Kota Tangerang, woman born 1 July 1990, serial 3
SSO_ISSUER = "http://127.0.0.1/sso/realms/warga"


def ec_key() -> ECKey:
    key = ECKey.generate_key("P-256", {"alg": "ES256", "use": "sig"}, private=True)
    key.ensure_kid()
    return key


def rsa_key() -> RSAKey:
    key = RSAKey.generate_key(2048, {"alg": "RS256", "use": "sig"}, private=True)
    key.ensure_kid()
    return key


def claims_for(issuer: str, audience: str, now: float, **changes: Any) -> dict[str, Any]:
    """RFC 9068 claims of a partner token valid from ``now`` for 10 minutes."""
    at = int(now)
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": "ch_partner",
        "aud": audience,
        "client_id": "ch_partner",
        "scope": "siak:profile psb:read",
        "iat": at,
        "nbf": at,
        "exp": at + 600,
        "jti": secrets.token_hex(8),
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def sign(key: ECKey | RSAKey, claims: dict[str, Any], **header: Any) -> str:
    """A JWS signed with ``key``; header defaults: its alg, typ at+jwt, its kid."""
    full = {"alg": key.alg, "typ": "at+jwt", "kid": key.kid, **header}
    return jwt.encode(full, claims, key, algorithms=[full["alg"]])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segments(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())


def unsigned(claims: dict[str, Any], kid: str) -> str:
    """The ``alg: none`` forgery: no signature at all."""
    return _segments({"alg": "none", "typ": "at+jwt", "kid": kid}, claims) + "."


def hs256_with_public_key(public_key: ECKey | RSAKey, claims: dict[str, Any]) -> str:
    """The key-confusion forgery: HMAC-SHA256 keyed with the issuer's *public* key, which
    a validator trusting the header's alg would verify with that same public key."""
    kid = public_key.kid
    signing_input = _segments({"alg": "HS256", "typ": "at+jwt", "kid": kid}, claims)
    secret = json.dumps(public_key.as_dict(private=False)).encode()
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(mac)


class JWKSServer:
    """Serves ``keys`` (public parts) at /jwks on 127.0.0.1; ``fetches`` counts requests,
    ``status`` other than 200 makes it fail."""

    def __init__(self) -> None:
        self.keys: list[ECKey | RSAKey] = []
        self.fetches = 0
        self.status = 200
        app = web.Application()
        app.router.add_get("/jwks", self._jwks)
        self.server = TestServer(app, host="127.0.0.1")

    @property
    def url(self) -> str:
        return str(self.server.make_url("/jwks"))

    async def _jwks(self, request: web.Request) -> web.Response:
        self.fetches += 1
        if self.status != 200:
            return web.Response(status=self.status, text="down for maintenance")
        return web.json_response({"keys": [k.as_dict(private=False) for k in self.keys]})
