"""The development sign-in: NIK and birth date checked against SIAK, then a one-time code.

For the demo and the tests only (``[auth] development_sign_in``; ``serve`` refuses it).
The code goes to :class:`~hub.oauth.runtime.Outbox` (the hub's log), as an SMS gateway
would send it, naming the citizen by pseudonym. Failures count per citizen (their
pseudonym) and per address (a keyed hash) within ``[auth] sign_in_window_seconds``; a
code allows ``one_time_code_attempts`` tries. An NIK SIAK does not know and a wrong birth
date get the same answer, so the page tells no one which NIKs exist.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, quote, urlsplit

from aiohttp import web

from connectors.base import DATABASE_ERRORS
from connectors.siak.reads import profiles_by_nik
from hub.auth.clients import get_client
from hub.client_address import client_address
from hub.oauth import store
from hub.oauth.pages import (
    SESSION_COOKIE,
    browser_id,
    e,
    error_html,
    fill,
    message,
    origin_of,
    page_lang,
    render,
    secure_cookies,
    set_cookie,
)
from hub.oauth.runtime import SIGN_IN, SignIn
from hub.oauth.texts import Lang, text
from identity.nik import NIK, InvalidNIK

if TYPE_CHECKING:
    from multidict import MultiDictProxy

log = logging.getLogger("citizen_hub.sign_in")

SIGN_IN_FORM: Final = "sign-in"
CODE_FORM: Final = "sign-in-code"
DEFAULT_NEXT: Final = "/oauth/consents"
_SAFE_NEXT = re.compile(r"/oauth/(authorize\?[\x21-\x7e]*|consents(\?[\x21-\x7e]*)?)")
_DATE_FORMATS = (
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    re.compile(r"(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})"),
)


def safe_next(value: object) -> str:
    """Where to go once signed in: back to an authorization request or the permissions
    page of this hub, never elsewhere (no open redirect)."""
    if isinstance(value, str) and _SAFE_NEXT.fullmatch(value):
        return value
    return DEFAULT_NEXT


def parse_birth_date(value: object) -> date | None:
    """31-12-1990, 31/12/1990 or 1990-12-31 (an <input type=date>)."""
    if not isinstance(value, str):
        return None
    for pattern in _DATE_FORMATS:
        match = pattern.fullmatch(value.strip())
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


async def sign_in_page(request: web.Request) -> web.StreamResponse:
    """GET /oauth/sign-in: the development form, or straight to the city's provider."""
    sign_in = request.app[SIGN_IN]
    lang = page_lang(request)
    next_url = safe_next(request.query.get("next"))
    if not sign_in.development:
        if sign_in.upstream is not None:
            location = f"/oauth/sso/start?next={quote(next_url, safe='')}&ui_locales={lang}"
            raise web.HTTPSeeOther(location, headers={"Cache-Control": "no-store"})
        return message(request, lang, "error.no_sign_in", status=404)
    return await _form_page(request, sign_in, lang, next_url)


async def _form_page(
    request: web.Request,
    sign_in: SignIn,
    lang: Lang,
    next_url: str,
    *,
    problem: str | None = None,
    status: int = 200,
    nik: str = "",
    birth_date: str = "",
) -> web.Response:
    browser = browser_id(request)
    app_name = await _app_name(sign_in, next_url)
    sso = ""
    if sign_in.upstream is not None:
        href = f"/oauth/sso/start?next={quote(next_url, safe='')}&ui_locales={lang}"
        sso = f'<p><a href="{e(href)}">{e(text("sign_in.sso", lang))}</a></p>'
    content = fill(
        "sign_in.html",
        app_html=f"<p>{e(text('sign_in.app', lang, app=app_name))}</p>" if app_name else "",
        error_html=error_html(problem),
        dev_notice=text("sign_in.dev", lang),
        csrf=sign_in.csrf_token(browser[0], SIGN_IN_FORM),
        next=next_url,
        lang=lang,
        nik_label=text("sign_in.nik", lang),
        nik=nik,
        birth_label=text("sign_in.birth", lang),
        birth_hint=text("sign_in.birth_hint", lang),
        birth_date=birth_date,
        send=text("sign_in.send", lang),
        sso_html=sso,
    )
    return _render_form(request, sign_in, lang, "sign_in.title", content, next_url, browser, status)


async def start(request: web.Request) -> web.Response:
    """POST /oauth/sign-in: check NIK and birth date; send a one-time code."""
    sign_in, form, lang, next_url = await _posted(request)
    nik_text = "".join(_str(form, "nik").split())
    birth_text = _str(form, "birth_date").strip()[:10]

    async def again(key: str, status: int, **values: object) -> web.Response:
        return await _form_page(
            request,
            sign_in,
            lang,
            next_url,
            problem=text(key, lang, **values),
            status=status,
            nik=nik_text[:24],
            birth_date=birth_text,
        )

    browser, new = browser_id(request)
    if new or not sign_in.csrf_ok(browser, SIGN_IN_FORM, form.get("csrf")):
        return await again("error.csrf", 400)
    window = _Window.of(sign_in, request)
    if await window.exceeded(window.address, sign_in.auth.sign_in_failures_per_ip):
        return await again("error.too_many_ip", 429, minutes=window.minutes)
    if not re.fullmatch(r"\d{16}", nik_text):
        return await again("error.nik_format", 400)
    try:
        nik = NIK.parse(nik_text)
    except InvalidNIK:
        return await again("error.nik_invalid", 400)
    born = parse_birth_date(birth_text)
    if born is None:
        return await again("error.birth_format", 400)
    pseudonym = await sign_in.pseudonym(nik)
    subject, citizen_key = "citizen:" + pseudonym, "nik:" + pseudonym
    if await window.exceeded(citizen_key, sign_in.auth.sign_in_failures_per_nik):
        return await again("error.too_many_nik", 429, minutes=window.minutes)
    if await store.count_challenges(sign_in.pool, subject, window.since) >= (
        sign_in.auth.sign_in_failures_per_nik
    ):
        return await again("error.too_many_codes", 429, minutes=window.minutes)
    try:
        profile = (await profiles_by_nik(sign_in.siak, [str(nik)])).get(str(nik))
    except DATABASE_ERRORS:
        return await again("error.siak_down", 503)
    if profile is None or profile.birth_date != born:
        # One answer for both: the page must not tell which NIKs SIAK knows.
        await store.record_failure(sign_in.pool, [citizen_key, window.address], window.now)
        return await again("error.mismatch", 401)
    code = f"{secrets.randbelow(1_000_000):06d}"
    seconds = sign_in.auth.one_time_code_seconds
    challenge = await store.create_challenge(
        sign_in.pool, subject, str(nik), code, window.now, seconds
    )
    sign_in.outbox.send(pseudonym, code, max(1, seconds // 60), window.now)
    return _code_page(request, sign_in, lang, next_url, challenge)


def _code_page(
    request: web.Request,
    sign_in: SignIn,
    lang: Lang,
    next_url: str,
    challenge: str,
    *,
    problem: str | None = None,
    status: int = 200,
) -> web.Response:
    browser = browser_id(request)
    restart = f"/oauth/sign-in?next={quote(next_url, safe='')}&ui_locales={lang}"
    content = fill(
        "code.html",
        sent=text("code.sent", lang, minutes=max(1, sign_in.auth.one_time_code_seconds // 60)),
        error_html=error_html(problem),
        csrf=sign_in.csrf_token(browser[0], CODE_FORM),
        challenge=challenge,
        next=next_url,
        lang=lang,
        code_label=text("code.label", lang),
        submit=text("code.submit", lang),
        restart_url=restart,
        restart=text("code.restart", lang),
    )
    return _render_form(request, sign_in, lang, "code.title", content, next_url, browser, status)


async def verify(request: web.Request) -> web.Response:
    """POST /oauth/sign-in/code: the one-time code; signed in, back to where it started."""
    sign_in, form, lang, next_url = await _posted(request)
    challenge_value = _str(form, "challenge")
    restart = (f"/oauth/sign-in?next={quote(next_url, safe='')}", text("code.restart", lang))
    browser, new = browser_id(request)
    if new or not sign_in.csrf_ok(browser, CODE_FORM, form.get("csrf")):
        return message(request, lang, "error.csrf", status=400, link=restart)
    window = _Window.of(sign_in, request)
    if await window.exceeded(window.address, sign_in.auth.sign_in_failures_per_ip):
        return message(request, lang, "error.too_many_ip", status=429, minutes=window.minutes)
    attempts = sign_in.auth.one_time_code_attempts
    challenge = await store.open_challenge(sign_in.pool, challenge_value, window.now, attempts)
    if challenge is None:
        return message(request, lang, "error.code_dead", status=400, link=restart)
    citizen_key = "nik:" + challenge.subject.removeprefix("citizen:")
    if await window.exceeded(citizen_key, sign_in.auth.sign_in_failures_per_nik):
        return message(request, lang, "error.too_many_nik", status=429, minutes=window.minutes)
    given = "".join(_str(form, "code").split())[:12]
    if not hmac.compare_digest(store.digest(challenge_value + ":" + given), challenge.code_hash):
        made = await store.wrong_code(sign_in.pool, challenge.id_hash)
        await store.record_failure(sign_in.pool, [citizen_key, window.address], window.now)
        left = attempts - made
        if left <= 0:
            return message(request, lang, "error.code_dead", status=401, link=restart)
        return _code_page(
            request,
            sign_in,
            lang,
            next_url,
            challenge_value,
            problem=text("error.wrong_code", lang, left=left),
            status=401,
        )
    if not await store.close_challenge(sign_in.pool, challenge.id_hash, window.now):
        return message(request, lang, "error.code_dead", status=400, link=restart)
    return await signed_in(
        request, sign_in, challenge.subject, challenge.nik, "development", next_url
    )


async def signed_in(
    request: web.Request,
    sign_in: SignIn,
    subject: str,
    nik: str,
    method: str,
    next_url: str,
) -> web.Response:
    """Start the citizen's session at the hub and go on (303) to ``next_url``."""
    now = sign_in.now()
    value = await store.create_session(
        sign_in.pool, subject, nik, method, now, sign_in.auth.session_seconds
    )
    log.info("citizen %s signed in (%s)", subject[:20], method)
    response = web.Response(
        status=303,
        headers={
            "Location": next_url,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )
    set_cookie(
        response,
        SESSION_COOKIE,
        value,
        secure=secure_cookies(request, sign_in.base(request)),
        max_age=sign_in.auth.session_seconds,
    )
    return response


async def _posted(request: web.Request) -> tuple[SignIn, MultiDictProxy[Any], Lang, str]:
    """What both forms' answers start with: the sign-in (404 unless the development
    sign-in is on), the form, the page's language and where to go once signed in."""
    sign_in = request.app[SIGN_IN]
    if not sign_in.development:
        raise web.HTTPNotFound()
    form = await request.post()
    lang = page_lang(request, _str(form, "ui_locales"))
    return sign_in, form, lang, safe_next(form.get("next"))


@dataclass(frozen=True, slots=True)
class _Window:
    """The failures that count against one attempt: those since ``since`` (``minutes``
    ago, as the page says it), per citizen and per ``address`` (a keyed hash)."""

    sign_in: SignIn
    now: float
    since: float
    minutes: int
    address: str

    @classmethod
    def of(cls, sign_in: SignIn, request: web.Request) -> _Window:
        now = sign_in.now()
        seconds = sign_in.auth.sign_in_window_seconds
        address = sign_in.address_key(client_address(request))
        return cls(sign_in, now, now - seconds, max(1, seconds // 60), address)

    async def exceeded(self, key: str, limit: int) -> bool:
        return await store.count_failures(self.sign_in.pool, key, self.since) >= limit


def _render_form(
    request: web.Request,
    sign_in: SignIn,
    lang: Lang,
    title: str,
    content: str,
    next_url: str,
    browser: tuple[str, bool],
    status: int,
) -> web.Response:
    """A page of the development sign-in: its form may lead on to the app (CSP)."""
    return render(
        request,
        lang,
        title=text(title, lang),
        content_html=content,
        status=status,
        form_targets=_targets(next_url),
        browser=browser,
        secure=secure_cookies(request, sign_in.base(request)),
    )


def _targets(next_url: str) -> list[str]:
    """The app a sign-in form's answer may end up at, for the CSP's form-action: after the
    sign-in, the authorization request may go straight back to the app."""
    query = parse_qs(urlsplit(next_url).query)
    redirect = query.get("redirect_uri", [""])[0]
    origin = origin_of(redirect) if redirect else None
    return [origin] if origin else []


async def _app_name(sign_in: SignIn, next_url: str) -> str | None:
    client_id = parse_qs(urlsplit(next_url).query).get("client_id", [""])[0]
    if not client_id or len(client_id) > 64:
        return None
    client = await get_client(sign_in.pool, client_id)
    return client.name if client is not None and not client.revoked else None


def _str(form: MultiDictProxy[Any] | Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""
