""" "Masuk dengan akun kota" in a real headless Chromium, through the reference super-app
page served from its own origin (so CORS is real): the development sign-in with the
one-time code, consent granting a subset, the token bought with PKCE in the browser,
GraphQL answering only what was granted, refresh, withdrawal, old tokens refused. And the
consent page with JavaScript off. Nothing is loaded from outside the two origins.

Uses Debian's ``chromium``; Playwright never downloads a browser here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import BrowserContext, Page, Request, Route, async_playwright, expect

from connectors.base import Source
from connectors.city import Family, Person
from hub.app import create_app
from hub.oauth import SIGN_IN, SignIn
from hub.oauth.examples import DEMO_CLIENT, DEMO_PURPOSE, PAGE_DIR
from hub.settings import AuthSettings, Limits, Settings
from schema.build import build_schema
from tests.conftest import ScratchDatabases
from tests.e2e.test_graphiql_browser import CHROMIUM_ARGS, chromium_path

pytestmark = pytest.mark.browser

TIMEOUT_MS = 20_000
SCREENSHOTS = Path(tempfile.gettempdir())
PATH = "/examples/super-app/"


@dataclass
class Servers:
    hub_url: str
    app_url: str  # another origin serving the reference page, as a super-app would
    sign_in: SignIn
    client_id: str
    city_dsns: dict[Source | str, str]
    mutation_wired: bool


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(PAGE_DIR / "index.html")


@pytest.fixture(scope="module")
async def servers(
    test_databases: ScratchDatabases, city_dsns: dict[Source | str, str]
) -> AsyncIterator[Servers]:
    page_app = web.Application()
    page_app.router.add_get(PATH, index)
    page_app.router.add_static(PATH, PAGE_DIR)
    page_server = TestServer(page_app, host="127.0.0.1")
    await page_server.start_server()
    app_url = str(page_server.make_url("")).rstrip("/")
    own = await test_databases.create("sign_in_browser")
    settings = Settings(
        host="127.0.0.1",
        port=0,
        source_dsns={s: city_dsns[s] for s in Source},
        hub_dsn=own["hub"],
        limits=Limits(requests_per_minute=100_000, distinct_niks_per_hour=1_000_000),
        auth=AuthSettings(development_sign_in=True, revocation_cache_seconds=0.001),
        cors_origins=(app_url,),
    )
    hub = create_app(settings)
    hub_server = TestServer(hub, host="127.0.0.1")
    await hub_server.start_server()
    # Until the lead wires revokeConsent into the schema, withdraw on the hub's own page.
    wired = "revokeConsent" in str(build_schema())
    try:
        yield Servers(
            str(hub_server.make_url("")).rstrip("/"),
            app_url,
            hub[SIGN_IN],
            hub[DEMO_CLIENT].client_id,
            city_dsns,
            wired,
        )
    finally:
        await hub_server.close()
        await page_server.close()


async def birth_date(servers: Servers, person: Person) -> str:
    conn = await asyncpg.connect(servers.city_dsns[Source.SIAK])
    try:
        born = await conn.fetchval("SELECT tanggal_lahir FROM penduduk WHERE nik = $1", person.nik)
    finally:
        await conn.close()
    return f"{born:%d-%m-%Y}"


class Watch:
    """Every request the browser makes, with anything outside the two origins blocked."""

    def __init__(self, servers: Servers) -> None:
        self.allowed = {urlsplit(servers.hub_url).netloc, urlsplit(servers.app_url).netloc}
        self.requested: list[str] = []
        self.blocked: list[str] = []
        self.errors: list[str] = []

    def ours(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in {"data", "blob"} or parts.netloc in self.allowed

    async def route(self, route: Route) -> None:
        if self.ours(route.request.url):
            await route.continue_()
        else:
            self.blocked.append(route.request.url)
            await route.abort()

    async def attach(self, context: BrowserContext, page: Page) -> None:
        await context.route("**/*", self.route)

        def record(request: Request) -> None:
            self.requested.append(request.url)

        page.on("request", record)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def outside(self) -> list[str]:
        return sorted({u for u in self.requested if not self.ours(u)} | set(self.blocked))


async def sign_in(page: Page, servers: Servers, person: Person, born: str) -> None:
    """The development sign-in, as a citizen does it; the code from the hub's outbox
    (the log line an SMS gateway would have sent)."""
    await expect(page.locator("h1")).to_have_text("Masuk dengan akun kota", timeout=TIMEOUT_MS)
    await page.locator("#nik").fill(person.nik)
    await page.locator("#birth_date").fill(born)
    await page.locator("button[type=submit]").click()
    await expect(page.locator("h1")).to_have_text("Masukkan kode", timeout=TIMEOUT_MS)
    code = servers.sign_in.outbox.last_code()
    assert code is not None
    await page.locator("#code").fill(code)
    await page.locator("button[type=submit]").click()


async def test_a_citizen_signs_in_to_the_super_app_and_withdraws(
    servers: Servers, family: Family
) -> None:
    head = family.head
    born = await birth_date(servers, head)
    watch = Watch(servers)
    query = urlencode(
        {
            "client_id": servers.client_id,
            "purpose": DEMO_PURPOSE,
            "scope": "siak:profile siak:family psb:read",
            "hub": servers.hub_url,
        }
    )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(locale="id-ID")
            page = await context.new_page()
            await watch.attach(context, page)
            await page.goto(f"{servers.app_url}{PATH}?{query}")
            await page.locator("#sign-in").click()  # PKCE made here, with WebCrypto

            await sign_in(page, servers, head, born)
            # The consent page: grant a subset (not the children's schools).
            await expect(page.locator("h1")).to_contain_text(
                "meminta izin mengakses data Anda", timeout=TIMEOUT_MS
            )
            await expect(page.locator("main")).to_contain_text("Data sekolah anak (PSB)")
            await page.screenshot(path=SCREENSHOTS / "consent-page.png", full_page=True)
            await page.locator('input[name=scope][value="psb:read"]').uncheck()
            await page.get_by_role("button", name="Izinkan").click()

            # Back at the super-app with a code; it bought a token and asked /graphql.
            await expect(page.locator("#status")).to_have_text(
                "Berhasil masuk.", timeout=TIMEOUT_MS
            )
            assert page.url == f"{servers.app_url}{PATH}"  # code and state cleaned away
            await expect(page.locator("#granted")).to_have_text("siak:family siak:profile")
            await expect(page.locator("#profile")).to_contain_text(head.name, timeout=TIMEOUT_MS)
            await expect(page.locator("#family")).to_contain_text(head.name)
            await expect(page.locator("#schools")).to_contain_text("tidak diizinkan (psb:read)")
            await page.screenshot(path=SCREENSHOTS / "super-app.png", full_page=True)
            first = json.loads(await page.evaluate("sessionStorage.getItem('superapp.tokens')"))

            await page.locator("#refresh").click()
            await expect(page.locator("#status")).to_have_text(
                "Token diperbarui.", timeout=TIMEOUT_MS
            )
            await expect(page.locator("#profile")).to_contain_text(head.name)
            second = json.loads(await page.evaluate("sessionStorage.getItem('superapp.tokens')"))
            assert second["refresh_token"] != first["refresh_token"]
            assert not watch.errors, watch.errors  # nothing failed so far

            # Withdraw: the super-app's button (revokeConsent), or the hub's own page.
            if servers.mutation_wired:
                await page.locator("#withdraw").click()
                await expect(page.locator("#status")).to_contain_text(
                    "Izin dicabut", timeout=TIMEOUT_MS
                )
            else:
                await page.goto(servers.hub_url + "/oauth/consents")
                await expect(page.locator("main")).to_contain_text("Super-app contoh (demo)")
                await page.get_by_role("button", name="Cabut izin").click()
                await expect(page.locator("main")).to_contain_text("telah dicabut")
                await page.goto(f"{servers.app_url}{PATH}")
            await page.locator("#reload").click()
            await expect(page.locator("#error")).to_contain_text(
                "Token ditolak", timeout=TIMEOUT_MS
            )
            await page.locator("#refresh").click()
            await expect(page.locator("#error")).to_contain_text(
                "invalid_grant", timeout=TIMEOUT_MS
            )
        finally:
            await browser.close()

    assert not watch.outside(), f"the pages loaded from outside: {watch.outside()}"
    async with aiohttp.ClientSession() as http:
        for tokens in (first, second):
            async with http.post(
                servers.hub_url + "/graphql",
                json={"query": "{ me { fullName } }"},
                headers={"Authorization": "Bearer " + tokens["access_token"]},
            ) as response:
                assert response.status == 401


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def test_sign_in_and_consent_work_without_javascript(
    servers: Servers, other_family: Family
) -> None:
    person = other_family.head
    born = await birth_date(servers, person)
    verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(12)
    redirect_uri = f"{servers.app_url}{PATH}"
    authorize = (
        servers.hub_url
        + "/oauth/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": servers.client_id,
                "redirect_uri": redirect_uri,
                "scope": "siak:profile psb:read",
                "state": state,
                "code_challenge": _challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
    )
    watch = Watch(servers)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(java_script_enabled=False, locale="id-ID")
            page = await context.new_page()
            await watch.attach(context, page)
            await page.goto(authorize)
            await sign_in(page, servers, person, born)
            await expect(page.locator("h1")).to_contain_text("meminta izin", timeout=TIMEOUT_MS)
            await page.get_by_role("link", name="English").click()
            await expect(page.locator("h1")).to_contain_text("asks to access your data")
            await page.get_by_role("button", name="Allow").click()
            await page.wait_for_url(f"{redirect_uri}?*", timeout=TIMEOUT_MS)
            back = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
        finally:
            await browser.close()
    assert back["state"] == state and back["code"]
    assert not watch.outside(), watch.outside()
    assert not watch.errors, watch.errors
    async with aiohttp.ClientSession() as http:
        form: dict[str, Any] = {
            "grant_type": "authorization_code",
            "code": back["code"],
            "redirect_uri": redirect_uri,
            "client_id": servers.client_id,
            "code_verifier": verifier,
        }
        async with http.post(servers.hub_url + "/oauth/token", data=form) as response:
            body = await response.json()
            assert response.status == 200, body
            assert body["scope"] == "psb:read siak:profile"
