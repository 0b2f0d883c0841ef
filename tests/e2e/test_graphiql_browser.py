"""GraphiQL in a real headless Chromium: it renders, runs a query, and never leaves the hub.

Uses Debian's ``chromium`` (``apt-get install chromium``); Playwright never downloads a
browser here. Fixtures from tests/e2e/conftest.py: ``hub_url`` (a running hub over HTTP),
``graphiql_query`` (a query to run) and ``graphiql_expected`` (text its result holds).
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, Request, Route, async_playwright, expect

from connectors.city import Family
from hub.settings import Settings
from tests.e2e.conftest import citizen_headers
from tests.e2e.test_access import ask
from tests.e2e.writes.test_services import BOOK, booking, open_service

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Kept after the run, to look at what the browser drew (/tmp/graphiql.png on Linux).
SCREENSHOT = Path(tempfile.gettempdir()) / "graphiql.png"
RESULT_TIMEOUT_MS = 20_000


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip(
            "no Chromium found (install Debian's chromium package): "
            "the GraphiQL browser test did not run"
        )
    return path


def from_the_hub(url: str, hub_url: str) -> bool:
    parts = urlsplit(url)
    # data: and blob: URLs are made in the page (GraphiQL's fonts are data: URLs).
    return parts.scheme in {"data", "blob"} or parts.netloc == urlsplit(hub_url).netloc


async def replace_query(page: Page, query: str) -> None:
    """Replace the query editor's text as a user pasting would (CodeMirror 5 or 6)."""
    editor = page.locator(".graphiql-query-editor .graphiql-editor").first
    await editor.click()
    await page.keyboard.press("ControlOrMeta+a")
    await page.keyboard.press("Delete")
    # insert_text is one input event, like a paste: no auto-closed brackets, no completion.
    await page.keyboard.insert_text(query)


async def test_graphiql_runs_a_query_in_chromium_and_loads_only_from_the_hub(
    hub_url: str, graphiql_query: str, graphiql_expected: str
) -> None:
    executable = chromium_path()
    requested: list[str] = []
    blocked: list[str] = []
    page_errors: list[str] = []
    console_errors: list[str] = []

    async def only_the_hub(route: Route) -> None:
        # Nothing may leave the hub; block it too, so a failing run makes no outside call.
        if from_the_hub(route.request.url, hub_url):
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort()

    def record(request: Request) -> None:
        requested.append(request.url)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1400, "height": 900})
            await context.route("**/*", only_the_hub)
            page = await context.new_page()
            page.on("request", record)
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            page.on(
                "console",
                lambda m: console_errors.append(m.text) if m.type == "error" else None,
            )

            # A normal navigation: Chromium sends Accept: text/html, so the hub answers with
            # the GraphiQL page rather than a GraphQL response.
            response = await page.goto(hub_url + "/graphql")
            assert response is not None
            assert response.ok, f"GET /graphql answered {response.status}"
            assert "text/html" in response.headers.get("content-type", "")

            query_editor = page.locator(".graphiql-query-editor")
            await expect(query_editor).to_contain_text("citizen(nik:", timeout=RESULT_TIMEOUT_MS)
            # The headers editor is open from the start, so a token can be pasted at once.
            await expect(page.locator(".graphiql-editor-tools button.active")).to_have_text(
                "Headers"
            )
            await expect(
                page.locator(".graphiql-editor-tool .graphiql-editor:visible")
            ).to_have_count(1)

            await replace_query(page, graphiql_query)
            await page.locator("button.graphiql-execute-button").click()

            result = page.locator(".graphiql-response .result-window")
            await expect(result).to_contain_text(graphiql_expected, timeout=RESULT_TIMEOUT_MS)
            await page.screenshot(path=SCREENSHOT)
        finally:
            await browser.close()

    assert requested, "the browser made no request at all"
    outside = sorted({u for u in requested if not from_the_hub(u, hub_url)} | set(blocked))
    assert not outside, f"the page tried to load from outside the hub: {outside}"
    assert not page_errors, f"the page threw: {page_errors}"
    assert not console_errors, f"the page logged errors: {console_errors}"


async def test_graphiql_follows_a_ticket_live_with_the_token_from_its_headers_tab(
    writable_hub: tuple[str, Settings], acting_family: Family
) -> None:
    """The page's own fetcher, in Chromium, subscribes over the websocket with the bearer
    token a user pasted in the Headers tab (browsers cannot set websocket headers)."""
    executable = chromium_path()
    url, settings = writable_hub
    parent = await citizen_headers(settings, acting_family.head.nik)
    centre, service, day = await open_service(url)
    day += timedelta(days=14)  # the same weekday, a day no other test books for the head
    _, booked, _ = await ask(url, parent, BOOK, input=booking(centre, service, day))
    ticket = booked["data"]["bookQueueTicket"]["id"]
    follow = "subscription Follow($id: ID!) { queueTicket(ticketId: $id) { id status } }"
    script = """async ({query, variables, headers}) => {
        const updates = window.citizenHubFetcher({query, variables, operationName: "Follow"},
                                                 {headers});
        const first = await updates.next();
        await updates.return();
        return first.value;
    }"""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(url + "/graphql")
            await page.wait_for_function("() => window.citizenHubFetcher !== undefined")
            variables = {"id": ticket}
            first = await page.evaluate(
                script, {"query": follow, "variables": variables, "headers": parent}
            )
            anonymous = await page.evaluate(
                script, {"query": follow, "variables": variables, "headers": {}}
            )
        finally:
            await browser.close()
    assert first["data"]["queueTicket"] == {"id": ticket, "status": "WAITING"}
    assert "UNAUTHENTICATED" in str(anonymous) or "4401" in str(anonymous)
