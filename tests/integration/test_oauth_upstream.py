"""The hub as a relying party of the city's OpenID provider, against a real provider
started in the test (discovery, JWKS, authorize, token; keys made here): state, nonce and
PKCE, the ID token verified with the provider's JWKS, and a page (never a stack trace)
for a bad signature, a wrong nonce, a state that does not match, a provider that is down,
a NIK the register does not know."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from joserfc import jwt

from connectors.base import Source
from connectors.city import City
from hub.app import create_app
from hub.auth.clients import add_client, add_purpose
from hub.oauth import SIGN_IN, SignIn
from hub.oauth.upstream import Upstream, UpstreamUnavailable
from hub.settings import AuthSettings, Settings, UpstreamOIDC
from tests.conftest import ScratchDatabases
from tests.oauth_support import CITIZEN_NIK, ec_key

CLIENT_ID = "citizen-hub"
CLIENT_SECRET = "provider-secret-for-the-hub"
APP_REDIRECT = "https://app.example.id/callback"


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class Provider:
    """A small OpenID provider: it signs whoever it is told (``nik``) in at once."""

    def __init__(self) -> None:
        self.key = ec_key()
        self.stranger = ec_key()  # not published: a token signed with it is forged
        self.nik = ""
        self.mode = "ok"  # ok | bad_signature | wrong_nonce | token_down | deny
        self.codes: dict[str, dict[str, str]] = {}
        app = web.Application()
        app.router.add_get("/realms/warga/.well-known/openid-configuration", self.discovery)
        app.router.add_get("/realms/warga/jwks", self.jwks)
        app.router.add_get("/realms/warga/auth", self.authorize)
        app.router.add_post("/realms/warga/token", self.token)
        self.server = TestServer(app, host="127.0.0.1")

    @property
    def issuer(self) -> str:
        return str(self.server.make_url("/realms/warga"))

    async def discovery(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": self.issuer + "/auth",
                "token_endpoint": self.issuer + "/token",
                "jwks_uri": self.issuer + "/jwks",
                "id_token_signing_alg_values_supported": ["ES256"],
            }
        )

    async def jwks(self, request: web.Request) -> web.Response:
        return web.json_response({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: web.Request) -> web.Response:
        q = request.query
        assert q["client_id"] == CLIENT_ID and q["response_type"] == "code"
        assert q["code_challenge_method"] == "S256" and "openid" in q["scope"].split()
        if self.mode == "deny":
            location = (
                q["redirect_uri"] + "?" + urlencode({"error": "access_denied", "state": q["state"]})
            )
            raise web.HTTPFound(location)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "nonce": q["nonce"],
            "challenge": q["code_challenge"],
            "redirect_uri": q["redirect_uri"],
        }
        raise web.HTTPFound(
            q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
        )

    async def token(self, request: web.Request) -> web.Response:
        if self.mode == "token_down":
            return web.Response(status=503, text="maintenance")
        assert request.headers["Authorization"] == aiohttp.encode_basic_auth(
            CLIENT_ID, CLIENT_SECRET
        )
        form = await request.post()
        flight = self.codes.pop(str(form["code"]))
        assert form["redirect_uri"] == flight["redirect_uri"]
        assert s256(str(form["code_verifier"])) == flight["challenge"]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "warga-" + self.nik[-4:],
            "nik": self.nik,
            "nonce": "another-nonce" if self.mode == "wrong_nonce" else flight["nonce"],
            "iat": now,
            "exp": now + 300,
        }
        key = self.stranger if self.mode == "bad_signature" else self.key
        header = {"alg": "ES256", "typ": "JWT", "kid": self.key.kid}
        id_token = jwt.encode(header, claims, key, algorithms=["ES256"])
        return web.json_response(
            {"access_token": "opaque", "token_type": "Bearer", "id_token": id_token}
        )


@dataclass
class Hub:
    url: str
    sign_in: SignIn
    client_id: str


@pytest.fixture(scope="module")
async def provider() -> AsyncIterator[Provider]:
    provider = Provider()
    await provider.server.start_server()
    try:
        yield provider
    finally:
        await provider.server.close()


@pytest.fixture(scope="module")
async def hub(
    test_databases: ScratchDatabases, city_dsns: dict[Source | str, str], provider: Provider
) -> AsyncIterator[Hub]:
    own = await test_databases.create("upstream")
    settings = Settings(
        host="127.0.0.1",
        port=0,
        source_dsns={s: city_dsns[s] for s in Source},
        hub_dsn=own["hub"],
        auth=AuthSettings(
            upstream=UpstreamOIDC(
                issuer=provider.issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
            )
        ),
    )
    app = create_app(settings)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    pool = await asyncpg.create_pool(own["hub"], min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await add_purpose(conn, "layanan-warga", "Layanan warga di super-app kota")
            client, _ = await add_client(
                conn,
                "Super-app Kota",
                ["siak:profile"],
                {"layanan-warga": ["siak:profile"]},
                public=True,
                redirect_uris=[APP_REDIRECT],
            )
        yield Hub(str(server.make_url("")).rstrip("/"), app[SIGN_IN], client.client_id)
    finally:
        await pool.close()
        await server.close()


@pytest.fixture
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


@pytest.fixture(autouse=True)
def ok(provider: Provider, city: City) -> None:
    provider.mode = "ok"
    provider.nik = city.showcase[0].head.nik


async def follow(browser: aiohttp.ClientSession, url: str, *, stop_at: str) -> tuple[int, str, str]:
    """Follow redirects (hub and provider alike) until ``stop_at`` is requested; that
    request's status, Location and page."""
    for _ in range(10):
        async with browser.get(url, allow_redirects=False) as response:
            location = response.headers.get("Location", "")
            if stop_at in url or response.status not in (302, 303):
                return response.status, location, await response.text()
        url = location if location.startswith("http") else str(response.url.origin()) + location
    raise AssertionError("too many redirects")


def authorize_url(hub: Hub) -> str:
    verifier = secrets.token_urlsafe(48)
    return (
        hub.url
        + "/oauth/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": hub.client_id,
                "redirect_uri": APP_REDIRECT,
                "state": "app-state",
                "code_challenge": s256(verifier),
                "code_challenge_method": "S256",
            }
        )
    )


async def test_a_citizen_signs_in_at_the_citys_provider(
    browser: aiohttp.ClientSession, hub: Hub, provider: Provider
) -> None:
    status, _, page = await follow(browser, authorize_url(hub), stop_at="/nothing")
    assert status == 200, page
    assert "Super-app Kota" in page and "Izinkan" in page  # signed in: the consent page
    assert "ch_session" in {c.key for c in browser.cookie_jar}


async def test_a_bad_signature_gets_a_page_and_no_session(
    browser: aiohttp.ClientSession, hub: Hub, provider: Provider
) -> None:
    provider.mode = "bad_signature"
    status, _, page = await follow(browser, authorize_url(hub), stop_at="/oauth/sso/callback")
    assert status == 502
    assert "tidak dapat diverifikasi" in page and "Traceback" not in page
    assert "ch_session" not in {c.key for c in browser.cookie_jar}


async def test_a_wrong_nonce_gets_a_page_and_no_session(
    browser: aiohttp.ClientSession, hub: Hub, provider: Provider
) -> None:
    provider.mode = "wrong_nonce"
    status, _, page = await follow(browser, authorize_url(hub), stop_at="/oauth/sso/callback")
    assert status == 502 and "tidak dapat diverifikasi" in page
    assert "ch_session" not in {c.key for c in browser.cookie_jar}


async def test_a_state_that_does_not_match_or_comes_twice_is_refused(
    browser: aiohttp.ClientSession, hub: Hub, provider: Provider
) -> None:
    status, location, _ = await follow(browser, authorize_url(hub), stop_at="/realms/warga/auth")
    assert status == 302
    callback = location  # the provider's answer, not followed yet
    query = parse_qs(urlsplit(callback).query)
    forged = callback.replace(query["state"][0], "someone-elses-state")
    async with browser.get(forged, allow_redirects=False) as response:
        assert response.status == 400
        assert "tidak dikenali" in await response.text()
    async with browser.get(callback, allow_redirects=False) as response:
        assert response.status == 303  # the real one: signed in
    async with browser.get(callback, allow_redirects=False) as response:
        assert response.status == 400  # and only once


async def test_a_provider_that_is_down_gets_a_page(
    browser: aiohttp.ClientSession, hub: Hub, provider: Provider
) -> None:
    provider.mode = "token_down"
    status, _, page = await follow(browser, authorize_url(hub), stop_at="/oauth/sso/callback")
    assert status == 502 and "tidak dapat dihubungi" in page
    working = hub.sign_in.upstream
    assert working is not None
    hub.sign_in.upstream = Upstream(
        UpstreamOIDC(
            issuer="http://127.0.0.1:9/realms/none", client_id=CLIENT_ID, timeout_seconds=2
        )
    )
    try:
        status, _, page = await follow(browser, authorize_url(hub), stop_at="/oauth/sso/start")
        assert status == 502 and "tidak dapat dihubungi" in page
        with pytest.raises(UpstreamUnavailable):
            await hub.sign_in.upstream.discovery()
    finally:
        await hub.sign_in.upstream.close()
        hub.sign_in.upstream = working


async def test_a_refusal_or_a_nik_the_register_does_not_know_gets_a_page(
    browser: aiohttp.ClientSession, hub: Hub, provider: Provider
) -> None:
    provider.mode = "deny"
    status, _, page = await follow(browser, authorize_url(hub), stop_at="/oauth/sso/callback")
    assert status == 401 and "dibatalkan" in page
    provider.mode, provider.nik = "ok", CITIZEN_NIK  # a valid NIK, not in the test city
    status, _, page = await follow(browser, authorize_url(hub), stop_at="/oauth/sso/callback")
    assert status == 403 and "tidak ditemukan di data kependudukan" in page
    assert "ch_session" not in {c.key for c in browser.cookie_jar}
