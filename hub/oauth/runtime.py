"""What the sign-in handlers share: settings, the hub pool, SIAK, the clock, the authlib
server, the development outbox, and the hub's own keys for CSRF tokens and addresses."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeVar

from aiohttp import web

from connectors.base import DATABASE_ERRORS, Source
from hub.auth.server import TOKEN_VALIDATOR, public_base
from hub.auth.tokens import citizen_pseudonym
from hub.oauth import store
from hub.oauth.authorization import HubAuthorizationServer, issue_tokens
from hub.oauth.grants import CitizenGrant
from hub.oauth.pages import SESSION_COOKIE
from hub.oauth.revocation import Revocable, find_revocable
from identity.nik import NIK

if TYPE_CHECKING:
    import asyncpg

    from connectors.base import SourceDB, SourceDBs
    from hub.auth.clients import Client
    from hub.oauth.upstream import Upstream
    from hub.settings import Settings

log = logging.getLogger("citizen_hub.sign_in")
T = TypeVar("T")
#: How long a worker thread of authlib waits for one database call on the loop.
CALL_TIMEOUT: Final = 30.0
PRUNE_SECONDS: Final = 3600.0


@dataclass(frozen=True, slots=True)
class Message:
    """One one-time code as the SMS gateway would have sent it."""

    recipient: str  # the citizen's pseudonym, never the NIK
    code: str
    sent_at: float


class Outbox:
    """The development sign-in's SMS gateway: the code goes to the hub's log, with the
    citizen named by a pseudonym (never the NIK), as an SMS gateway's log would show it.

    ``messages`` keeps the last few in memory, so tests read the code without parsing logs
    (development sign-in only: production sign-in has no codes at all).
    """

    def __init__(self, keep: int = 50) -> None:
        self.messages: deque[Message] = deque(maxlen=keep)

    def send(self, recipient: str, code: str, minutes: int, now: float) -> None:
        self.messages.append(Message(recipient, code, now))
        log.warning(
            "development sign-in: SMS to the phone of citizen %s: 'Kode masuk Citizen Hub"
            " Anda: %s (berlaku %d menit). Jangan berikan kode ini kepada siapa pun.'",
            recipient[:12],
            code,
            minutes,
        )

    def last_code(self) -> str | None:
        return self.messages[-1].code if self.messages else None


class SignIn:
    """One per app: built by ``add_sign_in_routes``, opened by :meth:`lifecycle`."""

    def __init__(
        self,
        settings: Settings,
        hub_pool: web.AppKey[asyncpg.Pool],
        sources: web.AppKey[SourceDBs],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.auth = settings.auth
        self.hub_pool = hub_pool
        self.sources = sources
        self.now = clock
        self.outbox = Outbox()
        self.server = HubAuthorizationServer(self)
        self.upstream: Upstream | None = None
        if settings.auth.upstream is not None:
            from hub.oauth.upstream import Upstream  # only when configured

            self.upstream = Upstream(settings.auth.upstream)
        self._app: web.Application | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._csrf_key = b""
        self._address_key = b""

    @property
    def development(self) -> bool:
        return self.auth.development_sign_in

    async def lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        self._app = app
        self._loop = asyncio.get_running_loop()
        async with self.pool.acquire() as conn:
            self._csrf_key = await _hub_secret(conn, "sign-in-csrf")
            self._address_key = await _hub_secret(conn, "sign-in-address")
        if self.development:
            log.warning(
                "development sign-in is ON: one-time codes are written to this log, so"
                " whoever reads it can sign in as any citizen (demo and tests only)"
            )
        pruning = asyncio.create_task(self._prune_hourly())
        try:
            yield
        finally:
            pruning.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pruning
            if self.upstream is not None:
                await self.upstream.close()

    async def _prune_hourly(self) -> None:
        """Expired codes, challenges, sessions... are deleted a day after they expired."""
        while True:
            try:
                await store.prune(self.pool, self.now())
            except DATABASE_ERRORS as exc:
                log.warning("could not prune expired sign-in rows (%s)", type(exc).__name__)
            await asyncio.sleep(PRUNE_SECONDS)

    # --- what the handlers reach through it ---

    @property
    def app(self) -> web.Application:
        if self._app is None:
            raise RuntimeError("the sign-in is not started (its cleanup context has not run)")
        return self._app

    @property
    def pool(self) -> asyncpg.Pool:
        return self.app[self.hub_pool]

    @property
    def siak(self) -> SourceDB:
        return self.app[self.sources][Source.SIAK]

    def base(self, request: web.Request) -> str:
        """The hub's public address: the issuer when it is a URL, else where the request
        came in."""
        return public_base(self.auth, str(request.url.origin()))

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """From an authlib worker thread: run ``coroutine`` on the loop and wait for it."""
        if self._loop is None:
            raise RuntimeError("the sign-in is not started")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(CALL_TIMEOUT)

    async def issue(
        self, client: Client, user: CitizenGrant, scope: str | None, include_refresh: bool
    ) -> dict[str, Any]:
        return await issue_tokens(self, client, user, scope, include_refresh)

    async def revocable(self, token: str, hint: str | None) -> Revocable | None:
        return await find_revocable(self, token, hint, self.app.get(TOKEN_VALIDATOR))

    async def pseudonym(self, nik: NIK) -> str:
        """The citizen's ``sub`` pseudonym, without the ``citizen:`` prefix."""
        async with self.pool.acquire() as conn:
            return await citizen_pseudonym(conn, nik)

    async def subject(self, nik: NIK) -> str:
        """The ``sub`` of the citizen's tokens (and the key of their consents)."""
        return "citizen:" + await self.pseudonym(nik)

    def csrf_token(self, binding: str, form: str) -> str:
        mac = hmac.new(self._csrf_key, f"{form}\n{binding}".encode(), hashlib.sha256)
        return mac.hexdigest()

    def csrf_ok(self, binding: str | None, form: str, given: object) -> bool:
        if not binding or not isinstance(given, str):
            return False
        return hmac.compare_digest(self.csrf_token(binding, form), given)

    def address_key(self, address: str | None) -> str:
        """``ip:<keyed hash>``: counts an address's failures without storing it."""
        mac = hmac.new(self._address_key, (address or "-").encode(), hashlib.sha256)
        return "ip:" + mac.hexdigest()[:32]

    async def session(self, request: web.Request) -> store.Session | None:
        value = request.cookies.get(SESSION_COOKIE)
        if not value:
            return None
        return await store.find_session(self.pool, value, self.now())


async def _hub_secret(conn: Any, name: str) -> bytes:
    await conn.execute(
        "INSERT INTO oauth_hub_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        name,
        secrets.token_bytes(32),
    )
    value: bytes = await conn.fetchval("SELECT value FROM oauth_hub_secrets WHERE name = $1", name)
    return value


#: The app's sign-in (set by ``add_citizen_sign_in`` when citizens can sign in to apps).
SIGN_IN: Final = web.AppKey("sign_in", SignIn)
