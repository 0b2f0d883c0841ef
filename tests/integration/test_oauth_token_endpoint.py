"""The hub's authorization server over real HTTP on loopback, on a real hub database:
client credentials (Basic and post), every RFC 6749 §5.2 refusal, JWKS and metadata."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from joserfc import jws

from connectors.base import Source
from hub.app import create_app
from hub.auth import TOKEN_VALIDATOR, TokenValidator
from hub.auth.clients import add_client, add_purpose, revoke_client
from hub.auth.server import server_metadata
from hub.settings import AuthSettings, Settings
from tests.conftest import ScratchDatabases

GRANT = {"grant_type": "client_credentials"}


@dataclass
class Hub:
    url: str
    pool: asyncpg.Pool
    validator: TokenValidator


@dataclass
class Registered:
    client_id: str
    secret: str


@pytest.fixture(scope="module")
async def hub(test_databases: ScratchDatabases) -> AsyncIterator[Hub]:
    dsns = await test_databases.create("oauth_endpoint")
    settings = Settings(
        host="127.0.0.1", port=0, source_dsns={s: dsns[s] for s in Source}, hub_dsn=dsns["hub"]
    )
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    pool = await asyncpg.create_pool(dsns["hub"], min_size=1, max_size=2)
    try:
        yield Hub(str(server.make_url("")).rstrip("/"), pool, server.app[TOKEN_VALIDATOR])
    finally:
        await pool.close()
        await server.close()


@pytest.fixture(scope="module")
async def partner(hub: Hub) -> Registered:
    async with hub.pool.acquire() as conn:
        await add_purpose(conn, "ppdb", "school admission (PPDB) eligibility checks")
        await add_purpose(conn, "bansos", "social assistance targeting")
        client, secret = await add_client(
            conn,
            "Dinas Pendidikan",
            ["siak:profile", "siak:family", "psb:read"],
            {"ppdb": ["siak:profile", "psb:read"]},
        )
    return Registered(client.client_id, secret)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post_token(
    http: aiohttp.ClientSession,
    hub: Hub,
    form: dict[str, str] | str | None = None,
    *,
    auth: tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], Any]:
    headers = dict(headers or {})
    if auth is not None:
        headers["Authorization"] = aiohttp.encode_basic_auth(*auth)
    async with http.post(hub.url + "/oauth/token", data=form, headers=headers) as response:
        return response.status, await response.json(), response.headers


async def test_client_secret_basic_gets_an_rfc9068_token(
    http: aiohttp.ClientSession, hub: Hub, partner: Registered
) -> None:
    status, body, headers = await post_token(
        http, hub, {"grant_type": "client_credentials"}, auth=(partner.client_id, partner.secret)
    )
    assert status == 200, body
    assert headers["Cache-Control"] == "no-store"
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == "psb:read siak:family siak:profile"  # all it is given
    compact = jws.extract_compact(body["access_token"].encode())
    header, claims = compact.headers(), json.loads(compact.payload or b"")
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256"
    assert set(claims) == {"iss", "sub", "aud", "client_id", "scope", "iat", "nbf", "exp", "jti"}
    assert claims["iss"] == "urn:citizen-hub" and claims["aud"] == "citizen-hub"
    assert claims["sub"] == claims["client_id"] == partner.client_id
    assert claims["exp"] - claims["iat"] == 900
    principal = await hub.validator.authenticate("Bearer " + body["access_token"])
    assert principal.client_id == partner.client_id
    assert principal.scopes == {"psb:read", "siak:family", "siak:profile"}
    assert principal.purpose is None and principal.nik is None


async def test_client_secret_post_with_a_purpose_gets_that_purposes_scopes(
    http: aiohttp.ClientSession, hub: Hub, partner: Registered
) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": partner.client_id,
        "client_secret": partner.secret,
        "purpose": "ppdb",
    }
    status, body, _ = await post_token(http, hub, form)
    assert status == 200, body
    assert body["scope"] == "psb:read siak:profile"
    principal = await hub.validator.authenticate("Bearer " + body["access_token"])
    assert principal.purpose == "ppdb"
    status, body, _ = await post_token(http, hub, {**form, "scope": "psb:read"})
    assert (status, body["scope"]) == (200, "psb:read")


async def test_basic_credentials_are_form_urlencoded_before_joining(
    http: aiohttp.ClientSession, hub: Hub, partner: Registered
) -> None:
    """RFC 6749 §2.3.1: a client library may encode the id and secret; both forms work."""
    encoded_secret = "".join(f"%{byte:02X}" for byte in partner.secret.encode())
    raw = f"{partner.client_id}:{encoded_secret}".encode()
    headers = {"Authorization": "Basic " + base64.b64encode(raw).decode()}
    status, body, _ = await post_token(
        http, hub, {"grant_type": "client_credentials"}, headers=headers
    )
    assert status == 200, body


async def test_invalid_client_is_401_with_a_basic_challenge_and_one_answer_for_all(
    http: aiohttp.ClientSession, hub: Hub, partner: Registered
) -> None:
    grant = {"grant_type": "client_credentials"}
    async with hub.pool.acquire() as conn:
        revoked, revoked_secret = await add_client(conn, "Old partner", ["psb:read"], {})
        await revoke_client(conn, revoked.client_id)
    for credentials in [
        (partner.client_id, partner.secret + "x"),  # wrong secret
        ("ch_00000000000000000000", partner.secret),  # unknown client
        (revoked.client_id, revoked_secret),  # revoked client
    ]:
        status, body, headers = await post_token(http, hub, grant, auth=credentials)
        assert status == 401
        assert body == {
            "error": "invalid_client",
            "error_description": "client authentication failed",
        }
        assert headers["WWW-Authenticate"] == 'Basic realm="citizen-hub"'
    status, body, headers = await post_token(http, hub, grant)  # no credentials at all
    assert (status, body["error"]) == (401, "invalid_client")
    assert "client_secret_basic" in body["error_description"]
    assert headers["WWW-Authenticate"] == 'Basic realm="citizen-hub"'


@pytest.mark.parametrize(
    ("form", "error", "description"),
    [
        ({}, "invalid_request", "grant_type is missing"),
        (
            {"grant_type": "password"},
            "unsupported_grant_type",
            "only grant_type=client_credentials",
        ),
        ({**GRANT, "scope": "apk:write"}, "invalid_scope", "apk:write is not allowed for this"),
        ({**GRANT, "scope": "siak:everything"}, "invalid_scope", "unknown scope siak:everything"),
        ({**GRANT, "scope": ""}, "invalid_scope", "scope is empty"),
        ({**GRANT, "scope": "psb:read  siak:profile"}, "invalid_scope", "single spaces"),
        (
            {**GRANT, "scope": "siak:family", "purpose": "ppdb"},
            "invalid_scope",
            "scope siak:family is not allowed for purpose ppdb",
        ),
        ({**GRANT, "purpose": "bansos"}, "invalid_request", "purpose bansos is not registered"),
        ({**GRANT, "purpose": "BANSOS!"}, "invalid_request", "purpose code 'BANSOS!' must be"),
        ({**GRANT, "client_secret": "also-here"}, "invalid_request", "either with HTTP Basic or"),
    ],
)
async def test_each_refusal_has_its_rfc6749_error(
    http: aiohttp.ClientSession,
    hub: Hub,
    partner: Registered,
    form: dict[str, str],
    error: str,
    description: str,
) -> None:
    status, body, headers = await post_token(
        http, hub, form, auth=(partner.client_id, partner.secret)
    )
    assert (status, body["error"]) == (400, error), body
    assert description in body["error_description"]
    assert headers["Cache-Control"] == "no-store"


async def test_a_repeated_parameter_or_a_json_body_is_an_invalid_request(
    http: aiohttp.ClientSession, hub: Hub, partner: Registered
) -> None:
    auth = (partner.client_id, partner.secret)
    repeated = "grant_type=client_credentials&scope=psb%3Aread&scope=siak%3Aprofile"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, body, _ = await post_token(http, hub, repeated, auth=auth, headers=headers)
    assert (status, body["error"]) == (400, "invalid_request")
    assert body["error_description"] == "parameter scope is repeated"
    async with http.post(
        hub.url + "/oauth/token",
        json={"grant_type": "client_credentials"},
        headers={"Authorization": aiohttp.encode_basic_auth(*auth)},
    ) as response:
        body = await response.json()
    assert (response.status, body["error"]) == (400, "invalid_request")
    assert "application/x-www-form-urlencoded" in body["error_description"]


async def test_jwks_publishes_public_keys_only(
    http: aiohttp.ClientSession, hub: Hub, partner: Registered
) -> None:
    async with http.get(hub.url + "/.well-known/jwks.json") as response:
        assert response.status == 200
        assert response.content_type == "application/jwk-set+json"
        jwks = await response.json(content_type=None)
    assert len(jwks["keys"]) == 1
    (key,) = jwks["keys"]
    assert key["kty"] == "EC" and key["crv"] == "P-256" and key["alg"] == "ES256"
    assert key["use"] == "sig"
    assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & set(key)
    _, body, _ = await post_token(
        http, hub, {"grant_type": "client_credentials"}, auth=(partner.client_id, partner.secret)
    )
    assert jws.extract_compact(body["access_token"].encode()).headers()["kid"] == key["kid"]


async def test_metadata_describes_the_server(http: aiohttp.ClientSession, hub: Hub) -> None:
    async with http.get(hub.url + "/.well-known/oauth-authorization-server") as response:
        assert response.status == 200
        metadata = await response.json()
    assert metadata["issuer"] == "urn:citizen-hub"
    assert metadata["token_endpoint"] == hub.url + "/oauth/token"
    assert metadata["jwks_uri"] == hub.url + "/.well-known/jwks.json"
    assert metadata["grant_types_supported"] == ["client_credentials"]
    assert metadata["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
    ]
    assert "identity:resolve" in metadata["scopes_supported"]
    async with http.get(metadata["jwks_uri"]) as response:
        assert response.status == 200


def test_metadata_of_an_https_issuer_passes_authlibs_rfc8414_checks() -> None:
    metadata = AuthorizationServerMetadata(
        server_metadata(AuthSettings(issuer="https://hub.example.id"), "http://10.0.0.5:8080")
    )
    assert metadata["token_endpoint"] == "https://hub.example.id/oauth/token"
    for key in AuthorizationServerMetadata.REGISTRY_KEYS:
        if key != "response_types_supported":  # required, but empty: no authorization endpoint
            getattr(metadata, f"validate_{key}")()
