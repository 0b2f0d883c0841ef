"""The consent page and its kin, rendered without a database: Bahasa Indonesia first,
each scope in a citizen's words, every value escaped, a strict CSP, no script, nothing
from outside; and the small rules behind the sign-in (where it may go next, which
redirect URIs match, which language)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from aiohttp.test_utils import make_mocked_request

from hub.auth.scopes import SCOPES
from hub.oauth.app_clients import redirect_uri_matches
from hub.oauth.authorize import Consenting, render_consent
from hub.oauth.development import parse_birth_date, safe_next
from hub.oauth.pages import STATIC_DIR, content_security_policy, origin_of
from hub.oauth.texts import SCOPE_WORDS, TEXTS, choose_lang, long_date

AUTHORIZE = "/oauth/authorize?response_type=code&client_id=ch_1&state=xyz"


def consenting(**changes: object) -> Consenting:
    values: dict[str, object] = {
        "app_name": "Super-app Kota",
        "purpose": "layanan-warga",
        "purpose_description": "Layanan warga di super-app kota",
        "citizen_name": "SITI AMINAH",
        "scopes": frozenset({"siak:profile", "psb:read"}),
        "before": frozenset({"siak:profile"}),
        "days": 180,
        "until": date(2027, 1, 15),
        "redirect_uri": "https://app.example.id/callback",
    }
    values.update(changes)
    return Consenting(**values)  # type: ignore[arg-type]


def page(
    accept_language: str | None = None, path: str = AUTHORIZE, **changes: object
) -> tuple[str, dict[str, str], int]:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    request = make_mocked_request("GET", path, headers=headers)
    lang = choose_lang(request.query.get("ui_locales"), accept_language)
    response = render_consent(request, lang, consenting(**changes), csrf="c" * 64)
    assert response.text is not None
    return response.text, dict(response.headers), response.status


def test_the_consent_page_says_who_asks_for_what_until_when_in_bahasa_indonesia() -> None:
    html, headers, status = page()
    assert status == 200
    assert '<html lang="id">' in html and headers["Content-Language"] == "id"
    assert "Super-app Kota meminta izin mengakses data Anda" in html
    assert "Anda masuk sebagai SITI AMINAH." in html
    assert "layanan-warga" in html and "Layanan warga di super-app kota" in html
    assert "Data sekolah anak (PSB)" in html
    assert "Data diri: nama, tempat dan tanggal lahir" in html
    assert html.count("sudah Anda izinkan sebelumnya") == 1  # siak:profile only
    assert "Izin berlaku 180 hari, sampai 15 Januari 2027" in html
    assert '<button type="submit" name="decision" value="allow"' in html and ">Izinkan<" in html
    assert 'value="deny">Tolak<' in html
    # A subset may be granted: one ticked checkbox per scope asked.
    assert len(re.findall(r'type="checkbox" name="scope" value="[^"]+" checked', html)) == 2
    assert 'name="csrf" value="' + "c" * 64 + '"' in html
    # It posts back to the very authorization request.
    assert 'action="/oauth/authorize?response_type=code&amp;client_id=ch_1&amp;state=xyz"' in html
    assert "<title>Izinkan akses data? · Citizen Hub</title>" in html


def test_english_comes_from_accept_language_or_the_switch_link() -> None:
    html, headers, _ = page("en-GB,en;q=0.9,id;q=0.5")
    assert '<html lang="en">' in html and headers["Content-Language"] == "en"
    assert "Super-app Kota asks to access your data" in html
    assert "Your children&#x27;s school admissions (PSB)" in html
    assert "lasts 180 days, until 15 January 2027" in html
    assert ">Allow<" in html and ">Deny<" in html
    assert 'hreflang="id"' in html and ">Bahasa Indonesia<" in html
    html, _, _ = page("en", path=AUTHORIZE + "&ui_locales=id")
    assert '<html lang="id">' in html
    # The switch link is this page, in the other language.
    assert 'href="/oauth/authorize?response_type=code&amp;client_id=ch_1&amp;state=xyz' in html
    assert "ui_locales=en" in html


def test_every_value_is_escaped() -> None:
    html, _, _ = page(
        app_name='<script>alert("x")</script>',
        purpose_description="<img src=x onerror=alert(1)>",
        citizen_name="O'Brien & <b>",
    )
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "O&#x27;Brien &amp; &lt;b&gt;" in html


def test_the_page_loads_nothing_from_outside_and_runs_no_script() -> None:
    html, headers, _ = page()
    assert "<script" not in html.lower()
    assert not re.search(r"\son[a-z]+\s*=", html)  # no inline event handler
    for url in re.findall(r'(?:href|src|action)="([^"]*)"', html):
        assert url.startswith("/"), url
    assert "://" not in html
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src" not in csp and "unsafe" not in csp
    assert "form-action 'self' https://app.example.id;" in csp  # the app, for the redirect
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"


def test_the_templates_and_the_stylesheet_name_no_outside_address() -> None:
    for path in Path(STATIC_DIR).rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "http://" not in text.replace("http://www.w3.org/2000/svg", ""), path
            assert "https://" not in text and "@import" not in text, path
            assert "<script" not in text, path


def test_every_scope_has_citizen_words_and_every_text_both_languages() -> None:
    assert set(SCOPE_WORDS) == set(SCOPES)
    assert SCOPE_WORDS["psb:read"][0] == "Data sekolah anak (PSB)"
    for key, (indonesian, english) in TEXTS.items():
        assert indonesian and english, key


@pytest.mark.parametrize(
    ("explicit", "accept", "chosen"),
    [
        (None, None, "id"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "id-ID,id;q=0.9,en;q=0.8", "id"),
        (None, "en;q=0.5,id;q=0.9", "id"),
        (None, "fr,de", "id"),
        ("en", "id", "en"),
        ("fr id", "en", "id"),
        (None, "en;q=0", "id"),
    ],
)
def test_the_language(explicit: str | None, accept: str | None, chosen: str) -> None:
    assert choose_lang(explicit, accept) == chosen


def test_dates_read_as_citizens_write_them() -> None:
    assert long_date(date(2026, 6, 12), "id") == "12 Juni 2026"
    assert long_date(date(2026, 6, 12), "en") == "12 June 2026"
    assert parse_birth_date("31-12-1990") == date(1990, 12, 31)
    assert parse_birth_date("31/12/1990") == date(1990, 12, 31)
    assert parse_birth_date("1990-12-31") == date(1990, 12, 31)
    assert parse_birth_date("31-02-1990") is None
    assert parse_birth_date("kemarin") is None


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("/oauth/authorize?client_id=ch_1&redirect_uri=https://a.example/cb", True),
        ("/oauth/consents", True),
        ("/oauth/consents?ui_locales=en", True),
        ("https://evil.example.com/", False),
        ("//evil.example.com/oauth/authorize?x", False),
        ("/oauth/authorize", False),
        ("/graphql", False),
        ("/oauth/authorize?x\r\nSet-Cookie: a=b", False),
        (None, False),
    ],
)
def test_after_the_sign_in_only_back_to_the_hub(value: str | None, safe: bool) -> None:
    assert (safe_next(value) == value) is safe
    if not safe:
        assert safe_next(value) == "/oauth/consents"


def test_redirect_uris_match_exactly_except_the_loopback_port() -> None:
    registered = ["https://app.example.id/cb", "http://127.0.0.1/examples/super-app/"]
    assert redirect_uri_matches(registered, "https://app.example.id/cb")
    assert not redirect_uri_matches(registered, "https://app.example.id/cb/")
    assert not redirect_uri_matches(registered, "https://app.example.id:8443/cb")
    assert not redirect_uri_matches(registered, "https://app.example.id/cb?x=1")
    assert redirect_uri_matches(registered, "http://127.0.0.1:8080/examples/super-app/")
    assert not redirect_uri_matches(registered, "http://127.0.0.1:8080/examples/other/")
    assert not redirect_uri_matches(registered, "http://127.0.0.2:8080/examples/super-app/")
    assert not redirect_uri_matches(registered, "http://127.0.0.1:99999/examples/super-app/")


def test_csp_origins() -> None:
    assert origin_of("https://app.example.id/cb?x=1") == "https://app.example.id"
    assert origin_of("http://127.0.0.1:8080/x") == "http://127.0.0.1:8080"
    assert origin_of("http://[::1]:8080/x") == "http://[::1]:8080"
    assert origin_of("javascript:alert(1)") is None
    assert (
        content_security_policy(["", "https://a.example"]).count(
            "form-action 'self' https://a.example;"
        )
        == 1
    )
