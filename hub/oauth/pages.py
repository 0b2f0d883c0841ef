"""The server-rendered pages: templates in ``static/templates``, every value escaped, a
strict CSP, no script at all (they work with JavaScript off), nothing from outside.

Templates are :class:`string.Template` files: ``$name`` is replaced by the escaped value,
``$name_html`` by HTML this module built (itself from escaped values).
"""

from __future__ import annotations

import hashlib
import html
import secrets
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from string import Template
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web

from hub.oauth.texts import Lang, choose_lang, text

STATIC_DIR: Final = Path(__file__).parent / "static"
TEMPLATES: Final = STATIC_DIR / "templates"
STATIC_PREFIX: Final = "/oauth/static/"
#: The files served under /oauth/static/ (the templates are not).
ASSETS: Final = {"sign-in.css": "text/css", "icon.svg": "image/svg+xml"}

SESSION_COOKIE: Final = "ch_session"
BROWSER_COOKIE: Final = "ch_browser"
UPSTREAM_COOKIE: Final = "ch_sso_state"
COOKIE_PATH: Final = "/oauth"


@cache
def template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


@cache
def css_version() -> str:
    return hashlib.sha256((STATIC_DIR / "sign-in.css").read_bytes()).hexdigest()[:12]


def fill(name: str, **values: object) -> str:
    """Template ``name`` with ``values``: escaped, except those named ``*_html``."""
    filled = {
        key: (str(value) if key.endswith("_html") else html.escape(str(value), quote=True))
        for key, value in values.items()
    }
    return template(name).substitute(filled)


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, for a CSP source."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def content_security_policy(form_targets: Iterable[str] = ()) -> str:
    """No script, no frame, nothing from outside. ``form_targets``: the origins a form's
    answer may redirect to (browsers check form-action on the redirect too), i.e. the
    app the citizen goes back to."""
    targets = " ".join(sorted({t for t in form_targets if t}))
    form_action = "'self'" + (f" {targets}" if targets else "")
    return (
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )


def page_lang(request: web.Request, form_value: str | None = None) -> Lang:
    explicit = form_value or request.query.get("ui_locales")
    return choose_lang(explicit, request.headers.get("Accept-Language"))


def switch_url(request: web.Request, lang: Lang) -> str:
    """This page (as a GET) in the other language."""
    other = "en" if lang == "id" else "id"
    return str(request.rel_url.update_query(ui_locales=other))


def secure_cookies(request: web.Request, base: str) -> bool:
    return request.secure or base.startswith("https://")


def set_cookie(
    response: web.StreamResponse,
    name: str,
    value: str,
    *,
    secure: bool,
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        name,
        value,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Lax",
        secure=secure,
        max_age=max_age,
    )


def browser_id(request: web.Request) -> tuple[str, bool]:
    """The browser's CSRF binding (a random cookie), and whether it is new."""
    value = request.cookies.get(BROWSER_COOKIE)
    if value and 20 <= len(value) <= 100:
        return value, False
    return secrets.token_urlsafe(24), True


def render(
    request: web.Request,
    lang: Lang,
    *,
    title: str,
    content_html: str,
    heading: str | None = None,
    status: int = 200,
    form_targets: Iterable[str] = (),
    browser: tuple[str, bool] | None = None,
    secure: bool = False,
) -> web.Response:
    """A whole page: its CSP, no caching, no referrer, never framed."""
    other: Lang = "en" if lang == "id" else "id"
    body = fill(
        "page.html",
        lang=lang,
        title=title,
        heading=heading or title,
        brand=text("brand", lang),
        css_version=css_version(),
        switch_url=switch_url(request, lang),
        switch_lang=other,
        switch_label=text("switch", lang),
        content_html=content_html,
    )
    response = web.Response(
        text=body,
        status=status,
        content_type="text/html",
        headers={
            "Content-Security-Policy": content_security_policy(form_targets),
            "Cache-Control": "no-store",
            "Pragma": "no-cache",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Content-Language": lang,
        },
    )
    if browser is not None and browser[1]:
        set_cookie(response, BROWSER_COOKIE, browser[0], secure=secure)
    return response


def message(
    request: web.Request,
    lang: Lang,
    key: str,
    *,
    status: int,
    title_key: str = "error.title",
    kind: str = "error",
    detail: str | None = None,
    link: tuple[str, str] | None = None,
    **values: object,
) -> web.Response:
    """A page that says one thing: what went wrong (or what was done), and what to do."""
    detail_html = f"<pre>{e(detail)}</pre>" if detail else ""
    link_html = f'<p><a href="{e(link[0])}">{e(link[1])}</a></p>' if link else ""
    content = fill(
        "message.html",
        kind=kind,
        message=text(key, lang, **values),
        detail_html=detail_html,
        link_html=link_html,
    )
    return render(request, lang, title=text(title_key, lang), content_html=content, status=status)


def error_html(message_text: str | None) -> str:
    return f'<p class="error" role="alert">{e(message_text)}</p>' if message_text else ""


async def asset(request: web.Request) -> web.StreamResponse:
    """GET /oauth/static/{name}: the stylesheet and the icon."""
    name = request.match_info["name"]
    kind = ASSETS.get(name)
    if kind is None:
        raise web.HTTPNotFound()
    cache_control = (
        "public, max-age=31536000, immutable" if "v" in request.query else "public, max-age=300"
    )
    return web.Response(
        body=(STATIC_DIR / name).read_bytes(),
        content_type=kind,
        headers={"Cache-Control": cache_control, "X-Content-Type-Options": "nosniff"},
    )
