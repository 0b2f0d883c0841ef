"""GraphiQL works on a network with no internet: the page loads only what the hub serves."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hub.graphiql import (
    STATIC_DIR,
    STATIC_PREFIX,
    add_graphiql_routes,
    asset_url,
    graphiql_handler,
    graphiql_page,
)

# Constructs through which a script makes the browser load something, with a literal
# absolute URL. Bundles also hold many URLs a browser never loads (licence headers,
# links in error messages, XML namespaces): those are not what this looks for.
LOADING_AN_ABSOLUTE_URL = re.compile(
    r"""(?:\bfetch|\bimport|\bimportScripts|\bWorker|\bSharedWorker|\bWebSocket|\bEventSource"""
    r"""|\bsendBeacon|\.open)\s*\(\s*(?:["'][A-Z]+["']\s*,\s*)?["'`](?:https?:|wss?:)?//"""
    r"""|\.(?:src|href)\s*=\s*["'`](?:https?:)?//""",
)
# Written label by label so that a repository-wide grep for CDN URLs (the project's
# offline check) does not flag the very test that forbids them.
CDN_HOSTS = tuple(
    ".".join(labels)
    for labels in (
        ("unpkg", "com"),
        ("cdn", "jsdelivr", "net"),
        ("cdnjs", "cloudflare", "com"),
        ("fonts", "googleapis", "com"),
        ("fonts", "gstatic", "com"),
        ("esm", "sh"),
        ("cdn", "skypack", "dev"),
    )
)


class _Links(HTMLParser):
    """Every URL in an attribute a browser follows on its own (src, href, srcset...)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []  # (tag, url)
        self.inline_scripts = 0
        self._in_script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "srcset", "poster", "action", "data"} and value:
                self.urls.append((tag, value))
        self._in_script_without_src = tag == "script" and not dict(attrs).get("src")

    def handle_data(self, data: str) -> None:
        if self._in_script_without_src and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script_without_src = False


def page_links(page: str) -> _Links:
    parser = _Links()
    parser.feed(page)
    return parser


def asset_files() -> set[str]:
    return {p.name for p in STATIC_DIR.iterdir() if p.is_file() and p.name != "README.md"}


def text_assets() -> list[str]:
    return sorted(n for n in asset_files() if n.endswith((".js", ".css")))


def test_page_loads_only_hub_relative_urls_and_data_urls() -> None:
    links = page_links(graphiql_page())
    assert links.urls, "the page references no asset at all"
    for tag, url in links.urls:
        parts = urlsplit(url)
        if parts.scheme == "data":
            continue
        assert not parts.scheme, f"<{tag}> loads {url} from outside the hub"
        assert not parts.netloc, f"<{tag}> loads {url} from another host"
        assert parts.path.startswith(STATIC_PREFIX), f"<{tag}> loads {url} outside the assets"


def test_page_references_exactly_the_files_that_are_vendored() -> None:
    links = page_links(graphiql_page())
    referenced = [
        urlsplit(url).path.removeprefix(STATIC_PREFIX)
        for _, url in links.urls
        if urlsplit(url).path.startswith(STATIC_PREFIX)
    ]
    assert sorted(referenced) == sorted(asset_files()), (
        "hub/static/graphiql/ and the page disagree: a file is missing, unused or twice"
    )


def test_asset_urls_change_when_the_file_changes() -> None:
    # The hash is what lets browsers cache the 1.5 MB for good and still see an update.
    urls = {asset_url(name) for name in asset_files()}
    assert len({urlsplit(u).query for u in urls}) == len(urls)
    assert all(re.fullmatch(r"v=[0-9a-f]{12}", urlsplit(u).query) for u in urls)


def test_page_has_no_inline_script_so_a_strict_csp_holds() -> None:
    assert page_links(graphiql_page()).inline_scripts == 0


def test_endpoint_is_escaped_into_the_page() -> None:
    page = graphiql_page('/x"><script>alert(1)</script>')
    assert "<script>alert" not in page
    assert page_links(page).inline_scripts == 0


def test_default_query_teaches_a_citizen_query_and_the_header_to_paste() -> None:
    page = graphiql_page()
    assert "citizen(nik: &quot;" in page
    assert "{&quot;Authorization&quot;: &quot;Bearer " in page


@pytest.mark.parametrize("name", [n for n in text_assets() if n.endswith(".css")])
def test_stylesheets_load_nothing_from_outside(name: str) -> None:
    css = (STATIC_DIR / name).read_text(encoding="utf-8")
    assert "@import" not in css, f"{name} imports another stylesheet"
    for match in re.finditer(r"url\(\s*(['\"]?)([^'\")]*)\1\s*\)", css):
        target = match.group(2)
        scheme = urlsplit(target).scheme
        assert scheme == "data" or not (scheme or target.startswith("//")), (
            f"{name} loads {target[:80]} from outside the hub"
        )


@pytest.mark.parametrize("name", text_assets())
def test_assets_name_no_cdn_and_load_no_absolute_url(name: str) -> None:
    text = (STATIC_DIR / name).read_text(encoding="utf-8")
    for host in CDN_HOSTS:
        assert host not in text, f"{name} mentions {host}"
    found = LOADING_AN_ABSOLUTE_URL.search(text)
    assert found is None, f"{name} loads an absolute URL: {text[found.start() : found.end() + 60]}"
    for mapping in re.findall(r"sourceMappingURL=(\S+)", text):
        assert "//" not in mapping, f"{name} points devtools at {mapping}"


async def test_assets_are_served_and_versioned_urls_are_cached_for_good() -> None:
    app = web.Application()
    add_graphiql_routes(app)
    app.router.add_get("/graphql", graphiql_handler)
    async with TestClient(TestServer(app)) as client:
        page = await client.get("/graphql")
        assert page.status == 200
        assert page.content_type == "text/html"
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        for _, url in page_links(await page.text()).urls:
            if urlsplit(url).scheme == "data":
                continue
            asset = await client.get(url)
            assert asset.status == 200, url
            assert "immutable" in asset.headers["Cache-Control"], url
            body = await asset.read()
            name = urlsplit(url).path.removeprefix(STATIC_PREFIX)
            assert body == (STATIC_DIR / name).read_bytes()
        unversioned = await client.get(f"{STATIC_PREFIX}graphiql.min.css")
        assert unversioned.status == 200
        assert "immutable" not in unversioned.headers.get("Cache-Control", "")
        assert (await client.get(f"{STATIC_PREFIX}../graphiql.py")).status in {403, 404}
