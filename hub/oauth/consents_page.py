"""The citizen's own page of app permissions at the hub: what each app may see, and a
button to withdraw it (its refresh tokens stop at once). Works without JavaScript.

``GET /oauth/consents`` (signed in, else to the sign-in and back), ``POST
/oauth/consents`` (``app_id``: withdraw), ``POST /oauth/sign-out``.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from hub.oauth import store
from hub.oauth.authorize import SIGN_IN_PATH
from hub.oauth.pages import (
    SESSION_COOKIE,
    browser_id,
    e,
    fill,
    message,
    page_lang,
    render,
    secure_cookies,
)
from hub.oauth.runtime import SIGN_IN, SignIn
from hub.oauth.texts import Lang, long_date, scope_words, text

CONSENTS_PATH: Final = "/oauth/consents"
CONSENTS_FORM: Final = "consents"
SIGN_OUT_FORM: Final = "sign-out"


async def consents(request: web.Request) -> web.StreamResponse:
    sign_in = request.app[SIGN_IN]
    lang = page_lang(request)
    session = await sign_in.session(request)
    if session is None:
        raise web.HTTPSeeOther(
            f"{SIGN_IN_PATH}?next={CONSENTS_PATH}&ui_locales={lang}",
            headers={"Cache-Control": "no-store"},
        )
    notice: str | None = None
    if request.method == "POST":
        form = await request.post()
        ui = form.get("ui_locales")
        lang = page_lang(request, ui if isinstance(ui, str) else None)
        browser, new = browser_id(request)
        if new or not sign_in.csrf_ok(browser, CONSENTS_FORM, form.get("csrf")):
            return message(request, lang, "error.csrf", status=400)
        app_id = form.get("app_id")
        if isinstance(app_id, str) and app_id:
            names = {
                c.client_id: c.client_name
                for c in await store.consents_of(sign_in.pool, session.subject, sign_in.now())
            }
            async with sign_in.pool.acquire() as conn:
                await store.withdraw_consent(conn, session.subject, app_id, sign_in.now())
            notice = text("consents.withdrawn", lang, app=names.get(app_id, app_id[:40]))
    return await _page(request, sign_in, lang, session.subject, notice)


async def _page(
    request: web.Request, sign_in: SignIn, lang: Lang, subject: str, notice: str | None
) -> web.Response:
    browser = browser_id(request)
    found = await store.consents_of(sign_in.pool, subject, sign_in.now())
    items = []
    for consent in found:
        scopes = "\n".join(
            f"    <li>{e(scope_words(s, lang))}<small>{e(s)}</small></li>"
            for s in sorted(consent.scopes)
        )
        items.append(
            fill(
                "consent_item.html",
                app=consent.client_name,
                app_id=consent.client_id,
                purpose_code=consent.purpose,
                purpose_description=consent.purpose_description,
                scopes_html=scopes,
                since=text(
                    "consents.since",
                    lang,
                    since=long_date(consent.granted_at.date(), lang),
                    until=long_date(consent.expires_at.date(), lang),
                ),
                csrf=sign_in.csrf_token(browser[0], CONSENTS_FORM),
                lang=lang,
                withdraw=text("consents.withdraw", lang),
            )
        )
    listing = "\n".join(items) or f"<p>{e(text('consents.none', lang))}</p>"
    content = fill(
        "consents.html",
        notice_html=f'<p class="info" role="status">{e(notice)}</p>' if notice else "",
        list_html=listing,
        sign_out_csrf=sign_in.csrf_token(browser[0], SIGN_OUT_FORM),
        lang=lang,
        sign_out=text("consents.sign_out", lang),
    )
    return render(
        request,
        lang,
        title=text("consents.title", lang),
        content_html=content,
        browser=browser,
        secure=secure_cookies(request, sign_in.base(request)),
    )


async def sign_out(request: web.Request) -> web.StreamResponse:
    sign_in = request.app[SIGN_IN]
    form = await request.post()
    ui = form.get("ui_locales")
    lang = page_lang(request, ui if isinstance(ui, str) else None)
    browser, new = browser_id(request)
    if new or not sign_in.csrf_ok(browser, SIGN_OUT_FORM, form.get("csrf")):
        return message(request, lang, "error.csrf", status=400)
    value = request.cookies.get(SESSION_COOKIE)
    if value:
        await store.end_session(sign_in.pool, value, sign_in.now())
    response = message(
        request, lang, "consents.signed_out", status=200, title_key="consents.title", kind="info"
    )
    response.del_cookie(SESSION_COOKIE, path="/oauth")
    return response
