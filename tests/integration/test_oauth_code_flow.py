"""Citizens signing in to apps, over real HTTP on a real hub database and the test city's
SIAK: authorization code with PKCE, the development sign-in, consent, refresh rotation,
revocation, withdrawal, CORS, and every bad input with its RFC 6749 / 7009 error and
nothing issued."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer
from joserfc import jws

from connectors.base import Source, SourceDB, SourceDBs, Store
from connectors.city import City, Family
from hub.app import SOURCES, create_app
from hub.auth import TOKEN_VALIDATOR, AuthError, TokenValidator
from hub.auth.clients import add_client, add_purpose
from hub.consents import HubConsents
from hub.oauth import SIGN_IN, SignIn
from hub.oauth.store import withdraw_consent
from hub.settings import AuthSettings, Limits, Settings
from identity.nik import NIK
from schema.consents import consents_of, revoke_consent
from schema.errors import Forbidden
from schema.execution.ports import Viewer
from tests.conftest import ScratchDatabases

APP_REDIRECT = "https://app.example.id/callback"
PORTAL_REDIRECT = "https://dinas.example.id/oauth/cb"
LOOPBACK_REDIRECT = "http://127.0.0.1/examples/super-app/"
ME = """{ me { fullName birthDate family { familyCardNumber
  members { relationship citizen { fullName schoolAdmissions { academicYear } } } } } }"""


class Clock:
    """The hub's clock for codes, sessions and consents: real time plus ``offset``."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Hub:
    url: str
    pool: asyncpg.Pool
    sign_in: SignIn
    validator: TokenValidator
    clock: Clock
    settings: Settings
    sources: SourceDBs


@dataclass
class Apps:
    super_app: str  # public, purpose layanan-warga: siak:profile siak:family psb:read
    portal: str  # confidential, purpose ppdb: siak:profile psb:read
    portal_secret: str
    city_app: str  # public, first-party
    two_purposes: str  # public, two purposes: must name one


@dataclass
class Citizen:
    nik: str
    birth_date: str  # dd-mm-yyyy, as a citizen types it
    name: str


@dataclass
class Authorization:
    """One authorization request of an app, with its PKCE verifier and state."""

    client_id: str
    redirect_uri: str
    scope: str | None = "siak:profile siak:family psb:read"
    purpose: str | None = None
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    state: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def url(self, hub: Hub) -> str:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": self.state,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
        }
        if self.scope is not None:
            params["scope"] = self.scope
        if self.purpose is not None:
            params["purpose"] = self.purpose
        params.update(self.extra)
        return hub.url + "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v})


@pytest.fixture(scope="module")
async def hub(
    test_databases: ScratchDatabases, city_dsns: dict[Source | str, str]
) -> AsyncIterator[Hub]:
    own = await test_databases.create("code_flow")
    settings = Settings(
        host="127.0.0.1",
        port=0,
        source_dsns={s: city_dsns[s] for s in Source},
        hub_dsn=own["hub"],
        limits=Limits(requests_per_minute=100_000, distinct_niks_per_hour=1_000_000),
        auth=AuthSettings(
            development_sign_in=True,
            revocation_cache_seconds=0.001,
            sign_in_failures_per_nik=4,
            sign_in_failures_per_ip=8,
        ),
        cors_origins=("https://app.example.id",),
    )
    app = create_app(settings)
    clock = Clock()
    app[SIGN_IN].now = clock
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    pool = await asyncpg.create_pool(own["hub"], min_size=1, max_size=2)
    try:
        yield Hub(
            str(server.make_url("")).rstrip("/"),
            pool,
            app[SIGN_IN],
            server.app[TOKEN_VALIDATOR],
            clock,
            settings,
            server.app[SOURCES],
        )
    finally:
        await pool.close()
        await server.close()


@pytest.fixture(scope="module")
async def apps(hub: Hub) -> Apps:
    warga = ["siak:profile", "siak:family", "psb:read"]
    async with hub.pool.acquire() as conn:
        await add_purpose(conn, "layanan-warga", "Layanan warga di super-app kota")
        await add_purpose(conn, "ppdb", "Pemeriksaan pendaftaran sekolah (PPDB)")
        super_app, _ = await add_client(
            conn,
            "Super-app Kota",
            [*warga, "apk:read"],
            {"layanan-warga": warga},
            public=True,
            redirect_uris=[APP_REDIRECT, LOOPBACK_REDIRECT],
        )
        portal, secret = await add_client(
            conn,
            "Portal Dinas Pendidikan",
            ["siak:profile", "psb:read"],
            {"ppdb": ["siak:profile", "psb:read"]},
            redirect_uris=[PORTAL_REDIRECT],
        )
        city_app, _ = await add_client(
            conn,
            "Tangerang LIVE",
            warga,
            {"layanan-warga": warga},
            public=True,
            redirect_uris=[APP_REDIRECT],
            first_party=True,
        )
        two, _ = await add_client(
            conn,
            "Dua keperluan",
            warga,
            {"layanan-warga": warga, "ppdb": ["psb:read"]},
            public=True,
            redirect_uris=[APP_REDIRECT],
        )
    return Apps(super_app.client_id, portal.client_id, secret, city_app.client_id, two.client_id)


@pytest.fixture(scope="module")
def family(city: City) -> Family:
    return city.showcase[0]


@pytest.fixture(scope="module")
def other_family(city: City) -> Family:
    return city.showcase[1]


@pytest.fixture(scope="module")
async def citizen(family: Family, city_dsns: dict[Source | str, str]) -> Citizen:
    conn = await asyncpg.connect(city_dsns[Source.SIAK])
    try:
        born = await conn.fetchval(
            "SELECT tanggal_lahir FROM penduduk WHERE nik = $1", family.head.nik
        )
    finally:
        await conn.close()
    return Citizen(family.head.nik, f"{born:%d-%m-%Y}", family.head.name)


@pytest.fixture(autouse=True)
async def fresh_limits(hub: Hub) -> AsyncIterator[None]:
    """Each test starts with no failed sign-in counted, on the real clock."""
    await hub.pool.execute("DELETE FROM oauth_sign_in_failures")
    await hub.pool.execute("DELETE FROM oauth_sign_in_challenges")
    hub.clock.offset = 0.0
    yield
    hub.clock.offset = 0.0


@pytest.fixture
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    """A browser: keeps the hub's cookies (on 127.0.0.1), follows no redirect by itself."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden {name} in the page"
    return match.group(1).replace("&amp;", "&")


async def get(browser: aiohttp.ClientSession, url: str) -> tuple[int, str, str]:
    async with browser.get(url, allow_redirects=False) as response:
        return response.status, response.headers.get("Location", ""), await response.text()


async def post(
    browser: aiohttp.ClientSession, url: str, form: dict[str, Any] | list[tuple[str, str]]
) -> tuple[int, str, str]:
    async with browser.post(url, data=form, allow_redirects=False) as response:
        return response.status, response.headers.get("Location", ""), await response.text()


async def sign_in(browser: aiohttp.ClientSession, hub: Hub, citizen: Citizen, location: str) -> str:
    """From the authorization endpoint's redirect to the sign-in, through NIK, birth date
    and the one-time code; returns where the hub sends the signed-in citizen next."""
    status, _, page = await get(browser, hub.url + location)
    assert status == 200, page
    status, _, page = await post(
        browser,
        hub.url + "/oauth/sign-in",
        {
            "csrf": hidden(page, "csrf"),
            "next": hidden(page, "next"),
            "nik": citizen.nik,
            "birth_date": citizen.birth_date,
        },
    )
    assert status == 200, page
    code = hub.sign_in.outbox.last_code()
    assert code is not None and re.fullmatch(r"\d{6}", code)
    status, location, page = await post(
        browser,
        hub.url + "/oauth/sign-in/code",
        {
            "csrf": hidden(page, "csrf"),
            "challenge": hidden(page, "challenge"),
            "next": hidden(page, "next"),
            "code": code,
        },
    )
    assert status == 303, page
    return location


async def authorize(
    browser: aiohttp.ClientSession,
    hub: Hub,
    citizen: Citizen,
    request: Authorization,
    *,
    allow: list[str] | None = None,
) -> dict[str, str]:
    """Sign in when needed, consent when asked (ticking ``allow``, else all); the
    parameters the app gets back on its redirect URI."""
    url = request.url(hub)
    status, location, page = await get(browser, url)
    if status == 303 and location.startswith("/oauth/sign-in"):
        location = await sign_in(browser, hub, citizen, location)
        status, location, page = await get(browser, hub.url + location)
    if status == 200:
        ticked = allow if allow is not None else re.findall(r'name="scope" value="([^"]+)"', page)
        form = [("csrf", hidden(page, "csrf")), ("decision", "allow")]
        form += [("scope", s) for s in ticked]
        status, location, page = await post(browser, url, form)
    assert status == 302, page
    assert location.startswith(request.redirect_uri), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def exchange(
    http: aiohttp.ClientSession,
    hub: Hub,
    form: dict[str, str],
    *,
    auth: tuple[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": aiohttp.encode_basic_auth(*auth)} if auth else {}
    async with http.post(hub.url + "/oauth/token", data=form, headers=headers) as response:
        assert response.headers["Cache-Control"] == "no-store"
        return response.status, await response.json()


def code_form(request: Authorization, code: str, **changes: str) -> dict[str, str]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": request.redirect_uri,
        "client_id": request.client_id,
        "code_verifier": request.verifier,
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v}


async def graphql(http: aiohttp.ClientSession, hub: Hub, token: str, query: str) -> tuple[int, Any]:
    async with http.post(
        hub.url + "/graphql",
        json={"query": query},
        headers={"Authorization": "Bearer " + token},
    ) as response:
        return response.status, await response.json()


async def signed_in_tokens(
    browser: aiohttp.ClientSession,
    hub: Hub,
    citizen: Citizen,
    client_id: str,
    *,
    allow: list[str] | None = None,
) -> dict[str, Any]:
    request = Authorization(client_id, APP_REDIRECT)
    back = await authorize(browser, hub, citizen, request, allow=allow)
    status, tokens = await exchange(browser, hub, code_form(request, back["code"]))
    assert status == 200, tokens
    return tokens


async def forget(hub: Hub, citizen: Citizen, client_id: str) -> None:
    """Withdraw the citizen's consent to ``client_id``, so the next sign-in asks again."""
    subject = await hub.sign_in.subject(NIK.parse(citizen.nik))
    async with hub.pool.acquire() as conn:
        await withdraw_consent(conn, subject, client_id, time.time())


def claims_of(token: str) -> dict[str, Any]:
    payload = jws.extract_compact(token.encode()).payload or b""
    claims: dict[str, Any] = json.loads(payload)
    return claims


# --- the happy path ------------------------------------------------------------------------


async def test_metadata_advertises_the_code_flow(browser: aiohttp.ClientSession, hub: Hub) -> None:
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        status, _, text = await get(browser, hub.url + path)
        assert status == 200
        metadata = json.loads(text)
        assert metadata["authorization_endpoint"] == hub.url + "/oauth/authorize"
        assert metadata["revocation_endpoint"] == hub.url + "/oauth/revoke"
        assert metadata["grant_types_supported"] == [
            "client_credentials",
            "authorization_code",
            "refresh_token",
        ]
        assert metadata["response_types_supported"] == ["code"]
        assert metadata["code_challenge_methods_supported"] == ["S256"]
        assert "none" in metadata["token_endpoint_auth_methods_supported"]
        assert metadata["authorization_response_iss_parameter_supported"] is True


async def test_a_public_app_gets_what_the_citizen_allowed_and_no_more(
    browser: aiohttp.ClientSession, hub: Hub, apps: Apps, citizen: Citizen
) -> None:
    await forget(hub, citizen, apps.super_app)
    request = Authorization(apps.super_app, APP_REDIRECT)
    status, location, _ = await get(browser, request.url(hub))
    assert status == 303 and location.startswith("/oauth/sign-in?next=")
    assert citizen.nik not in location
    location = await sign_in(browser, hub, citizen, location)
    status, _, page = await get(browser, hub.url + location)
    assert status == 200
    assert "Super-app Kota" in page and "layanan-warga" in page
    assert "Data sekolah anak (PSB)" in page and "Izinkan" in page and "Tolak" in page
    assert citizen.nik not in page  # the page names the citizen, never by NIK
    assert citizen.name in page
    form = [("csrf", hidden(page, "csrf")), ("decision", "allow")]
    form += [("scope", "siak:profile"), ("scope", "siak:family")]  # not psb:read
    status, location, _ = await post(browser, request.url(hub), form)
    assert status == 302
    back = parse_qs(urlsplit(location).query)
    assert location.startswith(APP_REDIRECT)
    assert back["state"] == [request.state] and back["iss"] == ["urn:citizen-hub"]

    status, tokens = await exchange(browser, hub, code_form(request, back["code"][0]))
    assert status == 200, tokens
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 600
    assert tokens["scope"] == "siak:family siak:profile"
    assert tokens["refresh_token"]
    claims = claims_of(tokens["access_token"])
    assert claims["nik"] == citizen.nik and claims["purpose"] == "layanan-warga"
    assert claims["client_id"] == apps.super_app and claims["sub"].startswith("citizen:")
    assert claims["sid"] and claims["exp"] - claims["iat"] == 600
    principal = await hub.validator.authenticate("Bearer " + tokens["access_token"])
    assert principal.consent_id == claims["consent_id"] and principal.grant_id == claims["sid"]
    assert jws.extract_compact(tokens["access_token"].encode()).headers()["typ"] == "at+jwt"

    status, body = await graphql(browser, hub, tokens["access_token"], ME)
    assert status == 200, body
    me = body["data"]["me"]
    assert me["fullName"] == citizen.name and me["family"]["members"]
    denied = {e["extensions"].get("scope") for e in body.get("errors", [])}
    assert "psb:read" in denied  # the children's admissions: not allowed
    assert not denied & {"siak:profile", "siak:family"}
    assert all(m["citizen"]["schoolAdmissions"] is None for m in me["family"]["members"])

    # A later sign-in asking the same (or less) does not ask again...
    again = Authorization(apps.super_app, APP_REDIRECT, scope="siak:profile")
    status, location, _ = await get(browser, again.url(hub))
    assert status == 302 and "code=" in location
    # ... asking more does, and marks what was allowed before.
    more = Authorization(apps.super_app, APP_REDIRECT)
    status, _, page = await get(browser, more.url(hub))
    assert status == 200 and page.count("sudah Anda izinkan sebelumnya") == 2


async def test_a_confidential_app_authenticates_at_the_token_endpoint(
    browser: aiohttp.ClientSession, hub: Hub, apps: Apps, citizen: Citizen
) -> None:
    request = Authorization(apps.portal, PORTAL_REDIRECT, scope="psb:read", purpose="ppdb")
    back = await authorize(browser, hub, citizen, request)
    form = code_form(request, back["code"], client_id="")
    status, body = await exchange(browser, hub, form)  # no secret
    assert (status, body["error"]) == (401, "invalid_client")
    request = Authorization(apps.portal, PORTAL_REDIRECT, scope="psb:read", purpose="ppdb")
    back = await authorize(browser, hub, citizen, request)
    form = code_form(request, back["code"], client_id="")
    status, body = await exchange(browser, hub, form, auth=(apps.portal, apps.portal_secret))
    assert status == 200, body
    assert body["scope"] == "psb:read"


async def test_a_first_party_app_asks_no_consent(
    browser: aiohttp.ClientSession, hub: Hub, apps: Apps, citizen: Citizen
) -> None:
    request = Authorization(apps.city_app, APP_REDIRECT)
    status, location, _ = await get(browser, request.url(hub))
    assert status == 303
    location = await sign_in(browser, hub, citizen, location)
    status, location, _ = await get(browser, hub.url + location)
    assert status == 302 and location.startswith(APP_REDIRECT) and "code=" in location


async def test_a_loopback_redirect_uri_may_come_back_on_any_port(
    browser: aiohttp.ClientSession, hub: Hub, apps: Apps, citizen: Citizen
) -> None:
    request = Authorization(apps.super_app, "http://127.0.0.1:54321/examples/super-app/")
    back = await authorize(browser, hub, citizen, request)
    status, body = await exchange(browser, hub, code_form(request, back["code"]))
    assert status == 200, body


# --- refresh, replay, revocation, withdrawal -------------------------------------------


async def test_refresh_tokens_rotate_and_a_replay_revokes_the_whole_sign_in(
    browser: aiohttp.ClientSession, hub: Hub, apps: Apps, citizen: Citizen
) -> None:
    first = await signed_in_tokens(browser, hub, citizen, apps.super_app)
    status, body = await graphql(browser, hub, first["access_token"], ME)
    members = body["data"]["me"]["family"]["members"]
    children = [m for m in members if m["relationship"] == "CHILD"]
    assert children and all(m["citizen"]["schoolAdmissions"] is not None for m in children)
    assert any(m["citizen"]["schoolAdmissions"] for m in children)  # psb:read granted
    refresh = {"grant_type": "refresh_token", "client_id": apps.super_app}
    status, second = await exchange(
        browser, hub, {**refresh, "refresh_token": first["refresh_token"]}
    )
    assert status == 200, second
    assert second["refresh_token"] != first["refresh_token"]
    assert claims_of(second["access_token"])["sid"] == claims_of(first["access_token"])["sid"]
    status, narrower = await exchange(
        browser,
        hub,
        {**refresh, "refresh_token": second["refresh_token"], "scope": "siak:profile"},
    )
    assert (status, narrower["scope"]) == (200, "siak:profile")
    status, body = await exchange(
        browser, hub, {**refresh, "refresh_token": narrower["refresh_token"], "scope": "apk:read"}
    )
    assert (status, body["error"]) == (400, "invalid_scope")  # more than was granted
    # The first refresh token again: a replay. The whole sign-in is revoked.
    status, body = await exchange(
        browser, hub, {**refresh, "refresh_token": first["refresh_token"]}
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "already used" in body["error_description"]
    status, body = await exchange(
        browser, hub, {**refresh, "refresh_token": narrower["refresh_token"]}
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    with pytest.raises(AuthError, match="revoked"):
        await hub.validator.authenticate("Bearer " + second["access_token"])
    status, _ = await graphql(browser, hub, second["access_token"], ME)
    assert status == 401


async def test_revocation_endpoint_ends_the_sign_in(
    browser: aiohttp.ClientSession, hub: Hub, apps: Apps, citizen: Citizen
) -> None:
    tokens = await signed_in_tokens(browser, hub, citizen, apps.super_app)
    revoke = {"client_id": apps.super_app, "token_type_hint": "refresh_token"}
    async with browser.post(
        hub.url + "/oauth/revoke", data={**revoke, "token": "not-a-token-we-know"}
    ) as response:
        assert response.status == 200  # RFC 7009 §2.2: unknown tokens too
    async with browser.post(
        hub.url + "/oauth/revoke", data={**revoke, "token": tokens["refresh_token"]}
    ) as response:
        assert response.status == 200
    status, body = await exchange(
        browser,
        hub,
        {
            "grant_type": "refresh_token",
            "client_id": apps.super_app,
            "refresh_token": tokens["refresh_token"],
        },
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    status, _ = await graphql(browser, hub, tokens["access_token"], ME)
    assert status == 401
    # Another app cannot revoke this app's tokens; an access token revokes its sign-in.
    tokens = await signed_in_tokens(browser, hub, citizen, apps.super_app)
    async with browser.post(
        hub.url + "/oauth/revoke",
        data={"client_id": apps.city_app, "token": tokens["refresh_token"]},
    ) as response:
        assert response.status == 400 and (await response.json())["error"] == "invalid_grant"
    async with browser.post(
        hub.url + "/oauth/revoke",
        data={"client_id": apps.super_app, "token": tokens["access_token"]},
    ) as response:
        assert response.status == 200
    status, _ = await graphql(browser, hub, tokens["access_token"], ME)
    assert status == 401


def _info(hub: Hub, viewer: Viewer | None) -> Any:
    consents = HubConsents(SourceDB(Store.HUB, hub.pool))
    return SimpleNamespace(context=SimpleNamespace(viewer=viewer, consents=consents))


async def test_withdrawing_consent_refuses_the_apps_tokens_at_once(
    browser: aiohttp.ClientSession, hub: Hub, apps: Apps, citizen: Citizen
) -> None:
    tokens = await signed_in_tokens(browser, hub, citizen, apps.super_app)
    principal = await hub.validator.authenticate("Bearer " + tokens["access_token"])
    viewer = Viewer(
        scopes=principal.scopes,
        client_id=principal.client_id,
        subject=principal.subject,
        nik=principal.nik,
        purpose="SELF_SERVICE",
    )
    me = SimpleNamespace(nik=citizen.nik)
    listed = await consents_of(me, _info(hub, viewer))
    assert listed is not None and [c.app_id for c in listed] == [apps.super_app]
    assert {s.scope for s in listed[0].scopes} == {"siak:profile", "siak:family", "psb:read"}
    assert listed[0].purpose == "layanan-warga"
    with pytest.raises(Forbidden):  # someone else's consents
        await consents_of(SimpleNamespace(nik="3671014107900003"), _info(hub, viewer))
    with pytest.raises(Forbidden):  # a partner, no citizen
        await consents_of(me, _info(hub, Viewer(scopes=frozenset(), client_id="ch_x")))
    with pytest.raises(Forbidden):  # an app cannot withdraw another app's consent
        await revoke_consent(_info(hub, viewer), apps.portal)  # type: ignore[arg-type]

    done = await revoke_consent(_info(hub, viewer), apps.super_app)  # type: ignore[arg-type]
    assert done.withdrawn and done.revoked_sign_ins >= 1
    status, body = await exchange(
        browser,
        hub,
        {
            "grant_type": "refresh_token",
            "client_id": apps.super_app,
            "refresh_token": tokens["refresh_token"],
        },
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    status, body = await graphql(browser, hub, tokens["access_token"], ME)
    assert status == 401, body
    # Signing in again asks for consent again.
    request = Authorization(apps.super_app, APP_REDIRECT)
    status, _, page = await get(browser, request.url(hub))
    assert status == 200 and "Izinkan" in page


async def test_the_citizens_permissions_page_lists_and_withdraws(
    browser: aiohttp.ClientSession, hub: Hub, apps: Apps, citizen: Citizen
) -> None:
    tokens = await signed_in_tokens(browser, hub, citizen, apps.super_app)
    status, _, page = await get(browser, hub.url + "/oauth/consents")
    assert status == 200 and "Super-app Kota" in page and "Cabut izin" in page
    form = {
        "csrf": hidden(page, "csrf"),
        "app_id": apps.super_app,
        "ui_locales": "en",
    }
    status, _, page = await post(browser, hub.url + "/oauth/consents", form)
    assert status == 200 and "Your permission for Super-app Kota is withdrawn" in page
    status, _ = await graphql(browser, hub, tokens["access_token"], ME)
    assert status == 401


# --- every bad input: its error, and nothing issued ----------------------------------------


async def test_an_unknown_client_or_an_unregistered_redirect_uri_gets_a_page_not_a_redirect(
    browser: aiohttp.ClientSession, hub: Hub, apps: Apps
) -> None:
    for request in (
        Authorization("ch_00000000000000000000", APP_REDIRECT),
        Authorization(apps.super_app, "https://evil.example.com/callback"),
        Authorization(apps.super_app, APP_REDIRECT + "/more"),
    ):
        status, location, page = await get(browser, request.url(hub))
        assert (status, location) == (400, ""), page
        assert "Permintaan masuk tidak dapat diproses" in page
    _, _, page = await get(browser, Authorization("ch_00000000000000000000", APP_REDIRECT).url(hub))
    assert "invalid_client" in page


@pytest.mark.parametrize(
    ("changes", "error", "description"),
    [
        ({"scope": "siak:sensitive"}, "invalid_scope", "not allowed for purpose layanan-warga"),
        ({"scope": "siak:everything"}, "invalid_scope", "unknown scope siak:everything"),
        ({"scope": "apk:read"}, "invalid_scope", "not allowed for purpose"),
        ({"purpose": "ppdb"}, "invalid_request", "purpose ppdb is not registered"),
        ({"extra": {"code_challenge": ""}}, "invalid_request", "PKCE"),
        ({"extra": {"code_challenge_method": "plain"}}, "invalid_request", "must be S256"),
        ({"extra": {"response_type": "token"}}, "unsupported_response_type", ""),
    ],
)
async def test_a_bad_authorization_request_goes_back_with_its_error(
    browser: aiohttp.ClientSession,
    hub: Hub,
    apps: Apps,
    changes: dict[str, Any],
    error: str,
    description: str,
) -> None:
    request = Authorization(apps.super_app, APP_REDIRECT, **changes)
    status, location, _ = await get(browser, request.url(hub))
    assert status == 302 and location.startswith(APP_REDIRECT)
    back = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert back["error"] == error and back["state"] == request.state
    assert description in back.get("error_description", "")
    assert "code" not in back


async def test_an_app_with_two_purposes_must_name_one(
    browser: aiohttp.ClientSession, hub: Hub, apps: Apps
) -> None:
    request = Authorization(apps.two_purposes, APP_REDIRECT, scope="psb:read")
    status, location, _ = await get(browser, request.url(hub))
    assert status == 302 and "error=invalid_request" in location and "purpose" in location


async def test_each_bad_code_exchange_has_its_error_and_issues_nothing(
    browser: aiohttp.ClientSession, hub: Hub, apps: Apps, citizen: Citizen
) -> None:
    async def fresh() -> tuple[Authorization, str]:
        request = Authorization(apps.super_app, APP_REDIRECT)
        return request, (await authorize(browser, hub, citizen, request))["code"]

    request, code = await fresh()
    cases = [
        (code_form(request, code, code_verifier=""), 400, "invalid_request", "code_verifier"),
        (code_form(request, code), 400, "invalid_grant", "already used"),  # burnt by the above
    ]
    request, code = await fresh()
    cases.append(
        (code_form(request, code, code_verifier="x" * 43), 400, "invalid_grant", "challenge")
    )
    request, code = await fresh()
    cases.append(
        (
            code_form(request, code, redirect_uri=APP_REDIRECT + "?other"),
            400,
            "invalid_grant",
            "redirect_uri",
        )
    )
    request, code = await fresh()
    cases.append(
        (code_form(request, code, client_id=apps.city_app), 400, "invalid_grant", "this client")
    )
    cases.append((code_form(request, code, client_id="ch_nobody"), 401, "invalid_client", "failed"))
    cases.append((code_form(request, "not-a-code"), 400, "invalid_grant", "not one this hub"))
    for form, status, error, description in cases:
        got, body = await exchange(browser, hub, form)
        assert (got, body["error"]) == (status, error), (form, body)
        assert description in body["error_description"], body
        assert "access_token" not in body and "refresh_token" not in body


async def test_a_code_used_twice_revokes_what_it_bought(
    browser: aiohttp.ClientSession, hub: Hub, apps: Apps, citizen: Citizen
) -> None:
    request = Authorization(apps.super_app, APP_REDIRECT)
    back = await authorize(browser, hub, citizen, request)
    status, tokens = await exchange(browser, hub, code_form(request, back["code"]))
    assert status == 200
    status, body = await exchange(browser, hub, code_form(request, back["code"]))
    assert (status, body["error"]) == (400, "invalid_grant")
    status, _ = await graphql(browser, hub, tokens["access_token"], ME)
    assert status == 401


async def test_an_expired_code_is_refused(
    browser: aiohttp.ClientSession, hub: Hub, apps: Apps, citizen: Citizen
) -> None:
    request = Authorization(apps.super_app, APP_REDIRECT)
    back = await authorize(browser, hub, citizen, request)
    hub.clock.offset = 61
    status, body = await exchange(browser, hub, code_form(request, back["code"]))
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "expired" in body["error_description"]


async def test_denying_goes_back_with_access_denied(
    browser: aiohttp.ClientSession, hub: Hub, apps: Apps, citizen: Citizen
) -> None:
    await forget(hub, citizen, apps.super_app)
    request = Authorization(apps.super_app, APP_REDIRECT, scope="psb:read siak:profile")
    status, location, _ = await get(browser, request.url(hub))
    location = await sign_in(browser, hub, citizen, location)
    status, location, page = await get(browser, hub.url + location)
    assert status == 200, page
    status, location, _ = await post(
        browser, request.url(hub), {"csrf": hidden(page, "csrf"), "decision": "deny"}
    )
    assert status == 302
    back = parse_qs(urlsplit(location).query)
    assert back["error"] == ["access_denied"] and back["state"] == [request.state]
    assert "code" not in back
    # Izinkan with nothing ticked: the page again, nothing issued.
    status, location, page = await post(
        browser, request.url(hub), {"csrf": hidden(page, "csrf"), "decision": "allow"}
    )
    assert (status, location) == (400, "") and "Pilih setidaknya satu data" in page
    # A forged consent (no valid CSRF token): refused, nothing issued.
    status, location, page = await post(
        browser, request.url(hub), {"csrf": "0" * 64, "decision": "allow", "scope": "psb:read"}
    )
    assert (status, location) == (400, "")


# --- the development sign-in --------------------------------------------------------------


async def _start(
    browser: aiohttp.ClientSession, hub: Hub, nik: str, birth_date: str
) -> tuple[int, str]:
    _, _, page = await get(browser, hub.url + "/oauth/sign-in")
    status, _, page = await post(
        browser,
        hub.url + "/oauth/sign-in",
        {"csrf": hidden(page, "csrf"), "next": "", "nik": nik, "birth_date": birth_date},
    )
    return status, page


async def test_an_unknown_nik_and_a_wrong_birth_date_get_the_same_answer(
    browser: aiohttp.ClientSession, hub: Hub, citizen: Citizen
) -> None:
    sent = len(hub.sign_in.outbox.messages)
    wrong_birth = await _start(browser, hub, citizen.nik, "01-01-1901")
    unknown = await _start(browser, hub, "3671014107900003", citizen.birth_date)
    assert wrong_birth[0] == unknown[0] == 401
    message = "tidak cocok dengan data kependudukan (SIAK)"
    assert message in wrong_birth[1] and message in unknown[1]
    assert len(hub.sign_in.outbox.messages) == sent  # no code sent
    status, page = await _start(browser, hub, "12345", citizen.birth_date)
    assert status == 400 and "16 angka" in page
    status, page = await _start(browser, hub, citizen.nik, "kemarin")
    assert status == 400 and "Tanggal lahir tidak terbaca" in page


async def test_a_wrong_code_is_tried_three_times_at_most(
    browser: aiohttp.ClientSession, hub: Hub, citizen: Citizen
) -> None:
    status, page = await _start(browser, hub, citizen.nik, citizen.birth_date)
    assert status == 200
    right = hub.sign_in.outbox.last_code()
    assert right is not None
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    form = {"csrf": hidden(page, "csrf"), "challenge": hidden(page, "challenge"), "next": ""}
    lefts = []
    for _ in range(3):
        status, _, page = await post(
            browser, hub.url + "/oauth/sign-in/code", {**form, "code": wrong}
        )
        assert status == 401
        lefts.append(re.search(r"Sisa (\d) kali", page).group(1) if "Sisa" in page else "0")
    assert lefts == ["2", "1", "0"]
    assert "sudah tidak berlaku" in page
    status, _, page = await post(browser, hub.url + "/oauth/sign-in/code", {**form, "code": right})
    assert status == 400 and "sudah tidak berlaku" in page  # even the right code, now
    assert "ch_session" not in {c.key for c in browser.cookie_jar}


async def test_failures_are_limited_per_nik_and_per_address(
    browser: aiohttp.ClientSession, hub: Hub, citizen: Citizen, other_family: Family
) -> None:
    for _ in range(4):  # [auth] sign_in_failures_per_nik = 4 here
        status, _ = await _start(browser, hub, citizen.nik, "01-01-1901")
        assert status == 401
    status, page = await _start(browser, hub, citizen.nik, citizen.birth_date)
    assert status == 429 and "Terlalu banyak percobaan masuk untuk NIK ini" in page
    # Other NIKs from the same address: the address limit (8) ends them too.
    for member in other_family.members:
        await _start(browser, hub, member.nik, "01-01-1901")
    for _ in range(8):
        status, page = await _start(browser, hub, other_family.head.nik, "01-01-1901")
    assert status == 429 and "dari jaringan Anda" in page


async def test_the_code_goes_to_the_log_without_the_nik(
    browser: aiohttp.ClientSession,
    hub: Hub,
    citizen: Citizen,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="citizen_hub.sign_in")
    status, _ = await _start(browser, hub, citizen.nik, citizen.birth_date)
    assert status == 200
    code = hub.sign_in.outbox.last_code()
    sms = [r.getMessage() for r in caplog.records if "SMS" in r.getMessage()]
    assert sms and code in sms[-1]
    assert all(citizen.nik not in r.getMessage() for r in caplog.records)


# --- CORS -------------------------------------------------------------------------------------


async def test_cors_preflights_for_the_configured_origin_only(
    browser: aiohttp.ClientSession, hub: Hub
) -> None:
    preflight = {
        "Origin": "https://app.example.id",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    for path in ("/graphql", "/oauth/token", "/oauth/revoke"):
        async with browser.options(hub.url + path, headers=preflight) as response:
            assert response.status == 204, path
            assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.id"
            assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
            assert "Access-Control-Allow-Credentials" not in response.headers
    other = {**preflight, "Origin": "https://evil.example.com"}
    async with browser.options(hub.url + "/graphql", headers=other) as response:
        assert response.status == 403
        assert "Access-Control-Allow-Origin" not in response.headers
    async with browser.post(
        hub.url + "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": "x", "client_id": "ch_x"},
        headers={"Origin": "https://app.example.id"},
    ) as response:
        assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.id"
    async with browser.get(
        hub.url + "/oauth/sign-in", headers={"Origin": "https://app.example.id"}
    ) as response:
        assert "Access-Control-Allow-Origin" not in response.headers


async def test_the_reference_page_and_its_demo_settings_are_served(
    browser: aiohttp.ClientSession, hub: Hub
) -> None:
    status, _, page = await get(browser, hub.url + "/examples/super-app/")
    assert status == 200 and 'src="app.js"' in page and "Masuk dengan akun kota" in page
    async with browser.get(hub.url + "/examples/super-app/app.js") as response:
        assert response.status == 200 and response.content_type == "text/javascript"
        assert "code_challenge_method" in await response.text()
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    status, _, text = await get(browser, hub.url + "/examples/super-app/config.json")
    config = json.loads(text)
    assert status == 200 and config["client_id"].startswith("ch_")
    assert config["purpose"] == "layanan-warga"
    async with hub.pool.acquire() as conn:
        public, uris = await conn.fetchrow(
            "SELECT public, redirect_uris FROM oauth_clients WHERE client_id = $1",
            config["client_id"],
        )
    assert public and "http://127.0.0.1/examples/super-app/" in uris
    status, _, _ = await get(browser, hub.url + "/examples/super-app/secrets.txt")
    assert status == 404
