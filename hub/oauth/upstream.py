"""Production sign-in: the hub as an OpenID Connect relying party of the city's provider.

``GET /oauth/sso/start?next=...``: a fresh ``state`` (also in a cookie, so the answer
must come back to the same browser), ``nonce`` and PKCE verifier, kept hashed in
``oauth_upstream_states``; then to the provider's authorization endpoint.

``GET /oauth/sso/callback``: the state checked against the cookie and used up; the code
exchanged at the provider's token endpoint (client_secret_basic, or none for a public
registration, with the PKCE verifier); the ID token verified with the provider's JWKS
(joserfc; RS256 or ES256 only): signature, ``iss``, ``aud`` (and ``azp``), ``exp``,
``iat``, ``nonce``; its NIK claim (``[auth.upstream] nik_claim``) must be a NIK SIAK
knows. A provider that is down, slow, or answers what cannot be verified gives the
citizen a page saying so, and the log the reason; never a stack trace.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, urlencode

import aiohttp
from aiohttp import web
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from connectors.base import DATABASE_ERRORS
from connectors.siak.reads import registered
from hub.oauth import store
from hub.oauth.development import safe_next, signed_in
from hub.oauth.pages import UPSTREAM_COOKIE, message, page_lang, secure_cookies, set_cookie
from hub.oauth.runtime import SIGN_IN
from identity.nik import NIK, InvalidNIK

if TYPE_CHECKING:
    from hub.settings import UpstreamOIDC

log = logging.getLogger("citizen_hub.sign_in")

CALLBACK_PATH: Final = "/oauth/sso/callback"
#: How long a citizen may take at the provider.
FLIGHT_SECONDS: Final = 600
ID_TOKEN_ALGS: Final = ("RS256", "ES256")
DISCOVERY_SECONDS: Final = 600.0
KEYS_SECONDS: Final = 300.0
KEYS_REFETCH_SECONDS: Final = 30.0
LEEWAY_SECONDS: Final = 60
#: The algorithm names of RFC 7518 §3.1 and RFC 8037: the only ``alg`` values logged.
_JWS_ALG: Final = re.compile(r"(HS|RS|ES|PS)(256|384|512)|ES256K|EdDSA|Ed25519|Ed448|none")
_ERROR_CODE: Final = re.compile(r"[a-z_]{1,40}(,[a-z_]{1,40})*")


class UpstreamUnavailable(Exception):
    """The provider cannot be reached, or answers with an error of its own (5xx)."""


class UpstreamInvalid(Exception):
    """The provider's answer cannot be accepted; the message says why, for the log.

    The message names only settings, URLs, status codes and registered names (error
    codes, algorithms, claim names), never a value out of a token or a code: a token's
    claims carry the citizen's NIK and name.
    """


class Upstream:
    """The city's OpenID provider: discovery and keys cached, one HTTP session."""

    def __init__(self, settings: UpstreamOIDC) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._discovery: tuple[float, dict[str, Any]] | None = None
        self._keys: tuple[float, KeySet] | None = None

    def http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
            self._session = aiohttp.ClientSession(timeout=timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with self.http().get(url, headers={"Accept": "application/json"}) as response:
                if response.status >= 500:
                    raise UpstreamUnavailable(f"{url} answered {response.status}")
                if response.status != 200:
                    raise UpstreamInvalid(f"{url} answered {response.status}")
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UpstreamUnavailable(f"{url}: {type(exc).__name__}") from None
        except ValueError:
            raise UpstreamInvalid(f"{url} did not answer JSON") from None
        if not isinstance(body, dict):
            raise UpstreamInvalid(f"{url} did not answer a JSON object")
        return body

    async def discovery(self) -> dict[str, Any]:
        """The provider's metadata (OpenID Connect Discovery 1.0), checked and cached."""
        now = time.monotonic()
        if self._discovery is not None and now - self._discovery[0] < DISCOVERY_SECONDS:
            return self._discovery[1]
        document = await self._get_json(self.settings.issuer + "/.well-known/openid-configuration")
        if document.get("issuer") != self.settings.issuer:
            raise UpstreamInvalid(
                f"the discovery document names issuer {str(document.get('issuer'))[:80]},"
                f" not {self.settings.issuer}"
            )
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(name), str):
                raise UpstreamInvalid(f"the discovery document has no {name}")
        self._discovery = (now, document)
        return document

    async def keys(self, *, refetch: bool = False) -> KeySet:
        now = time.monotonic()
        cached = self._keys
        if cached is not None:
            age = now - cached[0]
            if age < KEYS_SECONDS and not (refetch and age >= KEYS_REFETCH_SECONDS):
                return cached[1]
        document = await self._get_json((await self.discovery())["jwks_uri"])
        try:
            keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise UpstreamInvalid(
                f"the provider's JWKS cannot be read ({type(exc).__name__})"
            ) from None
        self._keys = (now, keys)
        return keys

    async def exchange(self, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
        """The token endpoint's answer for the authorization code."""
        endpoint = (await self.discovery())["token_endpoint"]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": self.settings.client_id,
        }
        headers = {"Accept": "application/json"}
        if self.settings.client_secret is not None:
            # client_secret_basic: each part form-urlencoded first (RFC 6749 §2.3.1).
            headers["Authorization"] = aiohttp.encode_basic_auth(
                quote(self.settings.client_id, safe=""), quote(self.settings.client_secret, safe="")
            )
        try:
            async with self.http().post(endpoint, data=form, headers=headers) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise UpstreamUnavailable(f"token endpoint: {type(exc).__name__}") from None
        if status >= 500:
            raise UpstreamUnavailable(f"the token endpoint answered {status}")
        try:
            body = json.loads(text)
        except ValueError:
            raise UpstreamInvalid(f"the token endpoint answered {status}, not JSON") from None
        if status != 200 or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            raise UpstreamInvalid(
                f"the token endpoint refused the code ({status} {_error_code(error)})"
            )
        return body

    async def verify_id_token(self, id_token: str, nonce: str, now: float) -> dict[str, Any]:
        """The ID token's claims, once every check passed (else :class:`UpstreamInvalid`)."""
        try:
            header = jws.extract_compact(id_token.encode("ascii")).headers()
        except (JoseError, ValueError, UnicodeEncodeError):
            raise UpstreamInvalid("the ID token is not a JWS") from None
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ID_TOKEN_ALGS:
            name = alg if isinstance(alg, str) and _JWS_ALG.fullmatch(alg) else "not a JWS alg name"
            raise UpstreamInvalid(f"the ID token's alg ({name}) is not accepted")
        key = _key(await self.keys(), kid)
        if key is None:
            key = _key(await self.keys(refetch=True), kid)
        if key is None:
            raise UpstreamInvalid("the provider publishes no key with the ID token's kid")
        try:
            token = jwt.decode(id_token, key, algorithms=[alg])
        except JoseError as exc:
            raise UpstreamInvalid(
                f"the ID token's signature does not verify ({exc.error})"
            ) from None
        claims = dict(token.claims)
        registry = JWTClaimsRegistry(
            now=int(now),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self.settings.issuer},
            aud={"essential": True, "value": self.settings.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            claim = getattr(exc, "claim", "")  # a claim's name (joserfc's ClaimError)
            raise UpstreamInvalid(
                f"the ID token's claims are not valid ({exc.error} {_error_code(claim)})"
            ) from None
        audience = claims.get("aud")
        several = isinstance(audience, list) and len(audience) > 1
        if several and claims.get("azp") != self.settings.client_id:
            raise UpstreamInvalid("the ID token has several audiences and no azp for the hub")
        given = claims.get("nonce")
        if not isinstance(given, str) or not hmac.compare_digest(given, nonce):
            raise UpstreamInvalid("the ID token's nonce is not the one this sign-in sent")
        return claims


def _error_code(value: object) -> str:
    """An error code (or claim name) fit for the log: the name itself when it looks like
    one (RFC 6749's are lower case words joined by _), else a fixed word; never free text
    from the other side, which might carry anything."""
    if isinstance(value, str) and _ERROR_CODE.fullmatch(value):
        return value
    return "(not an error code)" if value else "-"


def _key(keys: KeySet, kid: object) -> Any:
    if not isinstance(kid, str):
        return None
    try:
        return keys.get_by_kid(kid)
    except (ValueError, KeyError):
        return None


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def start(request: web.Request) -> web.StreamResponse:
    """GET /oauth/sso/start: to the city's provider, with state, nonce and PKCE."""
    sign_in = request.app[SIGN_IN]
    lang = page_lang(request)
    upstream = sign_in.upstream
    if upstream is None:
        return message(request, lang, "error.no_sign_in", status=404)
    try:
        document = await upstream.discovery()
    except UpstreamUnavailable as exc:
        log.warning("city sign-in unreachable: %s", exc)
        return message(request, lang, "sso.down", status=502)
    except UpstreamInvalid as exc:
        log.warning("city sign-in misconfigured: %s", exc)
        return message(request, lang, "sso.bad", status=502)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    next_url = safe_next(request.query.get("next"))
    await store.save_upstream_state(
        sign_in.pool, state, nonce, verifier, next_url, sign_in.now(), FLIGHT_SECONDS
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": upstream.settings.client_id,
            "redirect_uri": sign_in.base(request) + CALLBACK_PATH,
            "scope": upstream.settings.scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": _s256(verifier),
            "code_challenge_method": "S256",
            "ui_locales": lang,
        }
    )
    endpoint = document["authorization_endpoint"]
    separator = "&" if "?" in endpoint else "?"
    response = web.Response(
        status=302,
        headers={
            "Location": endpoint + separator + query,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )
    set_cookie(
        response,
        UPSTREAM_COOKIE,
        state,
        secure=secure_cookies(request, sign_in.base(request)),
        max_age=FLIGHT_SECONDS,
    )
    return response


async def callback(request: web.Request) -> web.StreamResponse:
    """GET /oauth/sso/callback: the provider's answer; signed in if it all verifies."""
    sign_in = request.app[SIGN_IN]
    lang = page_lang(request)
    upstream = sign_in.upstream
    if upstream is None:
        return message(request, lang, "error.no_sign_in", status=404)
    state = request.query.get("state", "")
    cookie = request.cookies.get(UPSTREAM_COOKIE, "")
    if not state or not cookie or not hmac.compare_digest(state, cookie):
        return message(request, lang, "sso.state", status=400)
    now = sign_in.now()
    flight = await store.take_upstream_state(sign_in.pool, state, now)
    if flight is None:
        return message(request, lang, "sso.state", status=400)
    if "error" in request.query:
        log.info("city sign-in answered %s", _error_code(request.query.get("error")))
        return message(request, lang, "sso.denied", status=401)
    code = request.query.get("code")
    if not code:
        return message(request, lang, "sso.bad", status=502)
    try:
        tokens = await upstream.exchange(
            code, sign_in.base(request) + CALLBACK_PATH, flight.code_verifier
        )
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise UpstreamInvalid("the token endpoint answered no id_token")
        claims = await upstream.verify_id_token(id_token, flight.nonce, now)
    except UpstreamUnavailable as exc:
        log.warning("city sign-in unreachable: %s", exc)
        return message(request, lang, "sso.down", status=502)
    except UpstreamInvalid as exc:
        log.warning("city sign-in refused: %s", exc)
        return message(request, lang, "sso.bad", status=502)
    raw_nik = claims.get(upstream.settings.nik_claim)
    try:
        nik = NIK.parse(raw_nik) if isinstance(raw_nik, str) else None
    except InvalidNIK:
        nik = None
    if nik is None:
        log.warning(
            "city sign-in: the ID token has no valid NIK in the claim that the setting"
            " [auth.upstream] nik_claim names (%r); the claim's value is not logged",
            upstream.settings.nik_claim,
        )
        return message(request, lang, "sso.no_nik", status=403)
    try:
        known = await registered(sign_in.siak, [str(nik)])
    except DATABASE_ERRORS:
        return message(request, lang, "error.siak_down", status=503)
    if str(nik) not in known:
        return message(request, lang, "error.not_registered", status=403)
    subject = await sign_in.subject(nik)
    response = await signed_in(request, sign_in, subject, str(nik), "upstream", flight.next_url)
    response.del_cookie(UPSTREAM_COOKIE, path="/oauth")
    return response
