"""The authorization endpoint (RFC 6749 §4.1, PKCE required) and the consent page.

``GET /oauth/authorize``: authlib checks the request; a request that names no known
client or a redirect URI the client did not register gets a page here (never a
redirect to an unchecked URI); any other error goes back to the app with its RFC 6749
§4.1.2.1 code, the ``state`` and the ``iss`` of RFC 9207. A valid request then needs a
signed-in citizen (else the sign-in, which comes back here), and their consent unless
the app is first-party or a consent in force already covers what it asks.

``POST /oauth/authorize`` (same query) is the consent page's answer: Izinkan with the
ticked scopes, or Tolak (``access_denied``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from aiohttp import web
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import OAuth2Error

from connectors.base import DATABASE_ERRORS
from connectors.siak.reads import registered
from hub.oauth import store
from hub.oauth.adapter import HubRequest, in_thread
from hub.oauth.grants import CitizenGrant
from hub.oauth.pages import (
    browser_id,
    e,
    error_html,
    fill,
    origin_of,
    page_lang,
    render,
    secure_cookies,
)
from hub.oauth.runtime import SIGN_IN, SignIn
from hub.oauth.texts import Lang, long_date, scope_words, text

if TYPE_CHECKING:
    from hub.auth.clients import Client

log = logging.getLogger("citizen_hub.sign_in")

AUTHORIZE_PATH: Final = "/oauth/authorize"
SIGN_IN_PATH: Final = "/oauth/sign-in"
CONSENT_FORM: Final = "consent"
_SIAK_ERRORS: Final[tuple[type[BaseException], ...]] = (*DATABASE_ERRORS, KeyError)
_NO_STORE: Final = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",
}


def hub_request(sign_in: SignIn, request: web.Request) -> HubRequest:
    """The authorization request as authlib reads it: the query's parameters, each with
    every value it was given (a repeated one is refused)."""
    params: dict[str, list[str]] = {}
    for name, value in request.query.items():
        params.setdefault(name, []).append(value)
    uri = sign_in.base(request) + str(request.rel_url)
    return HubRequest(request.method, uri, request.headers, params)


@dataclass(frozen=True, slots=True)
class Asked:
    """A valid authorization request of a signed-in citizen: authlib's consent grant, the
    client, the scopes and purpose it asks, and the citizen's session."""

    grant: Any
    client: Client
    scopes: frozenset[str]
    purpose: str
    session: store.Session


async def authorize(request: web.Request) -> web.StreamResponse:
    sign_in = request.app[SIGN_IN]
    lang = page_lang(request)
    try:
        oauth_request = hub_request(sign_in, request)
        grant = await in_thread(sign_in.server.get_consent_grant, oauth_request, None)
    except OAuth2Error as error:
        return refusal(request, sign_in, lang, error)
    except ValueError as exc:  # authlib refuses to echo characters an error may not hold
        return _bad_request_page(request, lang, "invalid_request", str(exc))
    client: Client = grant.request.client.client
    scopes = frozenset(grant.request.scope.split())
    purpose: str = grant.request.purpose
    session = await sign_in.session(request)
    if session is None:
        return to_sign_in(request, lang)
    asked = Asked(grant, client, scopes, purpose, session)
    if request.method == "POST":
        return await _decide(request, sign_in, asked)
    if client.first_party:
        return await issue_code(request, sign_in, asked, scopes, None)
    consent = await store.active_consent(
        sign_in.pool, session.subject, client.client_id, purpose, sign_in.now()
    )
    if consent is not None and scopes <= consent.scopes:
        return await issue_code(request, sign_in, asked, scopes, consent.id)
    before = consent.scopes if consent is not None else frozenset[str]()
    return await consent_page(request, sign_in, lang, asked, before)


def to_sign_in(request: web.Request, lang: Lang) -> web.Response:
    """303 to the sign-in, which comes back to this very request."""
    location = f"{SIGN_IN_PATH}?next={quote(str(request.rel_url), safe='')}&ui_locales={lang}"
    return web.Response(status=303, headers={"Location": location, **_NO_STORE})


def refusal(request: web.Request, sign_in: SignIn, lang: Lang, error: OAuth2Error) -> web.Response:
    """Back to the app with the error when its redirect URI is checked; else a page."""
    status, _body, headers = error()
    location = dict(headers).get("Location")
    if error.redirect_uri and location:
        return _to_app(sign_in, location)
    return _bad_request_page(request, lang, error.error, error.description or "", status=status)


def _bad_request_page(
    request: web.Request, lang: Lang, error: str, description: str, status: int = 400
) -> web.Response:
    content = fill(
        "message.html",
        kind="error",
        message=text("request.body", lang),
        detail_html=f"<pre>{e(text('request.detail', lang))}: {e(error)}: {e(description)}</pre>",
        link_html="",
    )
    return render(
        request,
        lang,
        title=text("request.title", lang),
        content_html=content,
        status=status if 400 <= status < 500 else 400,
    )


def _to_app(sign_in: SignIn, location: str) -> web.Response:
    """302 to the app's redirect URI, with the issuer (RFC 9207) beside code or error."""
    location = add_params_to_uri(location, [("iss", sign_in.auth.issuer)])
    return web.Response(status=302, headers={"Location": location, **_NO_STORE})


async def issue_code(
    request: web.Request,
    sign_in: SignIn,
    asked: Asked,
    scopes: frozenset[str],
    consent_id: str | None,
) -> web.Response:
    """A code for what was allowed, bound to this request (authlib saves it, hashed)."""
    session = asked.session
    user = CitizenGrant(session.subject, session.nik, scopes, asked.purpose, consent_id)
    status, _body, headers = await in_thread(
        sign_in.server.create_authorization_response, asked.grant.request, user, asked.grant
    )
    location = dict(headers).get("Location")
    if status != 302 or not location:  # authlib found the request invalid after all
        return web.Response(status=400, text="invalid authorization request", headers=_NO_STORE)
    return _to_app(sign_in, location)


async def _decide(request: web.Request, sign_in: SignIn, asked: Asked) -> web.Response:
    form = await request.post()
    lang = page_lang(request, None)

    async def again(problem: str) -> web.Response:
        return await consent_page(
            request, sign_in, lang, asked, frozenset(), problem=text(problem, lang), status=400
        )

    browser, new = browser_id(request)
    if new or not sign_in.csrf_ok(browser, CONSENT_FORM, form.get("csrf")):
        return await again("error.csrf")
    decision = form.get("decision")
    if decision != "allow":
        # Tolak: access_denied to the app (authlib builds it when no citizen is granted).
        _status, _body, headers = await in_thread(
            sign_in.server.create_authorization_response, asked.grant.request, None, asked.grant
        )
        location = dict(headers).get("Location")
        if not location:
            return web.Response(status=400, text="invalid authorization request")
        return _to_app(sign_in, location)
    chosen = frozenset(v for v in form.getall("scope", []) if isinstance(v, str)) & asked.scopes
    if not chosen:
        return await again("consent.pick_one")
    session, client_id = asked.session, asked.client.client_id
    async with sign_in.pool.acquire() as conn:
        consent_id = await store.grant_consent(
            conn,
            session.subject,
            client_id,
            asked.purpose,
            asked.scopes,
            chosen,
            sign_in.now(),
            sign_in.auth.consent_days,
        )
    log.info(
        "consent %s: %s allowed %s for purpose %s (%s)",
        consent_id,
        session.subject[:20],
        client_id,
        asked.purpose,
        " ".join(sorted(chosen)),
    )
    return await issue_code(request, sign_in, asked, chosen, consent_id)


async def consent_page(
    request: web.Request,
    sign_in: SignIn,
    lang: Lang,
    asked: Asked,
    before: frozenset[str],
    *,
    problem: str | None = None,
    status: int = 200,
) -> web.Response:
    browser = browser_id(request)
    description = await sign_in.pool.fetchval(
        "SELECT description FROM oauth_purposes WHERE code = $1", asked.purpose
    )
    return render_consent(
        request,
        lang,
        Consenting(
            app_name=asked.client.name,
            purpose=asked.purpose,
            purpose_description=description or "",
            citizen_name=await _citizen_name(sign_in, asked.session.nik),
            scopes=asked.scopes,
            before=before,
            days=sign_in.auth.consent_days,
            until=(store.at(sign_in.now()) + timedelta(days=sign_in.auth.consent_days)).date(),
            redirect_uri=asked.grant.redirect_uri,
        ),
        csrf=sign_in.csrf_token(browser[0], CONSENT_FORM),
        browser=browser,
        secure=secure_cookies(request, sign_in.base(request)),
        problem=problem,
        status=status,
    )


@dataclass(frozen=True, slots=True)
class Consenting:
    """What the consent page shows: who asks, for what, what data, until when."""

    app_name: str
    purpose: str
    purpose_description: str
    citizen_name: str | None
    scopes: frozenset[str]
    before: frozenset[str]
    days: int
    until: date
    redirect_uri: str


def render_consent(
    request: web.Request,
    lang: Lang,
    consenting: Consenting,
    *,
    csrf: str,
    browser: tuple[str, bool] | None = None,
    secure: bool = False,
    problem: str | None = None,
    status: int = 200,
) -> web.Response:
    """The consent page: posts back to this very URL; its CSP lets the answer go only to
    the hub itself and to the app's redirect URI."""
    c = consenting
    scope_rows = "\n".join(
        fill(
            "scope.html",
            scope=scope,
            words=scope_words(scope, lang),
            before=f" · {text('consent.before', lang)}" if scope in c.before else "",
        )
        for scope in sorted(c.scopes)
    )
    content = fill(
        "consent.html",
        signed_in=text("consent.signed_in", lang, name=c.citizen_name) if c.citizen_name else "",
        error_html=error_html(problem),
        action=str(request.rel_url),
        csrf=csrf,
        purpose_label=text("consent.purpose", lang),
        purpose_code=c.purpose,
        purpose_description=c.purpose_description,
        data_label=text("consent.data", lang),
        scopes_html=scope_rows,
        only=text("consent.only", lang, app=c.app_name),
        duration=text("consent.duration", lang, days=c.days, until=long_date(c.until, lang)),
        allow=text("consent.allow", lang),
        deny=text("consent.deny", lang),
    )
    return render(
        request,
        lang,
        title=text("consent.title", lang),
        heading=text("consent.heading", lang, app=c.app_name),
        content_html=content,
        status=status,
        form_targets=[origin_of(c.redirect_uri) or ""],
        browser=browser,
        secure=secure,
    )


async def _citizen_name(sign_in: SignIn, nik: str) -> str | None:
    """The signed-in citizen's name, so they see whose data this is (None if SIAK is slow)."""
    try:
        async with asyncio.timeout(2):
            found = await registered(sign_in.siak, [nik])
    except _SIAK_ERRORS:
        return None
    entry = found.get(nik)
    return entry.name if entry is not None else None
