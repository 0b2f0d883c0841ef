"""Anti-harvesting limits per caller: a request rate and a budget of distinct NIKs.

A caller is a key (``schema.execution.ports.Viewer.limit_key``): ``citizen:<subject>``
for a citizen token, ``client:<id>`` for a partner, ``address:<ip>`` for an
anonymous caller (rate only: it is shown no NIK). ``create_app`` builds one::

    limiter = ClientLimits.from_settings(settings)   # no I/O yet; Redis is reached lazily
    await limiter.check_request(key) -> None         # before the operation is parsed
    await limiter.charge_cost(key, cost) -> None     # its cost, before any SQL runs
    await limiter.charge_niks(key, niks) -> None     # the NIKs the answer contains
    await limiter.close()                            # in the app's cleanup

Each raises :class:`schema.errors.LimitExceeded` with ``extensions``
``limit`` (``"rate"``, ``"cost_per_minute"`` or ``"subject_budget"``), ``maximum``
and ``retryAfter`` (whole seconds until a retry can pass; absent when one request
alone names more new NIKs than the whole budget, which no wait cures); the cost
budget's also ``value`` (the budget) and ``figure`` (what it would have come to).

- The rate is ``[limits] requests_per_minute`` requests in any 60 seconds
  (moving window, the ``limits`` package).
- The cost budget is ``[limits] cost_per_minute`` in any 60 seconds: each operation
  spends its cost (``schema.execution.cost``), counted in the same moving window
  and storage as the rate; one that would pass it is refused whole and spends nothing.
- The budget is ``[limits] distinct_niks_per_hour`` distinct NIKs in any hour:
  a NIK charged again within the hour costs nothing; a request whose new NIKs
  would pass the budget is refused whole and charges nothing.

With ``[redis] url`` the counts live in Redis and every hub instance shares
them (DESIGN.md: "shared limits go to Redis"); without it they live in this
process, and the hub says so in its log. While Redis does not answer, each
instance falls back to its own counts rather than refusing every request, and
tries Redis again only every few seconds (``REDIS_RETRY_SECONDS``).
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, Self

import redis.asyncio as aioredis
from limits import RateLimitItem, RateLimitItemPerMinute, WindowStats
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.exceptions import RedisError

from schema.errors import LimitExceeded

if TYPE_CHECKING:
    from hub.settings import Settings

log = logging.getLogger(__name__)

HOUR = 3600
REDIS_TIMEOUT = 0.5  # seconds; a slow Redis must not stall every request
REDIS_RETRY_SECONDS = 5.0  # after Redis fails, counts stay in this process this long

# Hand-written because ``limits`` counts hits and cannot tell a NIK seen before
# from a new one: the budget needs a set of NIKs per client and a check-then-add
# that is atomic across hub instances, hence one Lua script. A sorted set scored
# by last access makes the window slide (exact over any hour); a plain set per
# fixed hour would let a client take twice the budget across the hour's edge.
# KEYS[1]: the client's set; ARGV: budget, window in ms, then the NIK digests.
# Returns {1, count} when charged, {0, ms until it fits} or {0, -1} if it never does.
_CHARGE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local budget, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local held, new = redis.call('ZCARD', KEYS[1]), 0
for i = 3, #ARGV do
    if not redis.call('ZSCORE', KEYS[1], ARGV[i]) then new = new + 1 end
end
local over = held + new - budget
if over > 0 then
    if over > held then return {0, -1} end
    local oldest = redis.call('ZRANGE', KEYS[1], over - 1, over - 1, 'WITHSCORES')
    return {0, tonumber(oldest[2]) + window - now}
end
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], now, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], window)
return {1, held + new}
"""


class NikBudget(Protocol):
    async def charge(self, client_id: str, digests: Sequence[str]) -> float | None:
        """Charge the NIKs; None when done, else seconds until they fit (inf: never)."""


class RedisNikBudget:
    """The distinct-NIK budget in Redis, shared by every hub instance."""

    def __init__(self, client: aioredis.Redis, prefix: str, budget: int, window: float) -> None:
        self._script = client.register_script(_CHARGE)
        self._prefix = prefix
        self._budget = budget
        self._window_ms = int(window * 1000)

    async def charge(self, client_id: str, digests: Sequence[str]) -> float | None:
        key = f"{self._prefix}:niks:{client_id}"
        done, value = await self._script(keys=[key], args=[self._budget, self._window_ms, *digests])
        if done:
            return None
        return math.inf if value < 0 else value / 1000


class MemoryNikBudget:
    """The same budget in this process only (the one-process demo, or Redis down)."""

    def __init__(
        self, budget: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._budget = budget
        self._window = window
        self._clock = clock
        self._seen: dict[str, dict[str, float]] = {}

    async def charge(self, client_id: str, digests: Sequence[str]) -> float | None:
        now = self._clock()
        seen = {d: at for d, at in self._seen.get(client_id, {}).items() if at > now - self._window}
        over = len(seen) + sum(d not in seen for d in digests) - self._budget
        self._seen[client_id] = seen
        if over > 0:
            if over > len(seen):
                return math.inf
            return sorted(seen.values())[over - 1] + self._window - now
        seen.update(dict.fromkeys(digests, now))
        return None


class _InProcessStorage(MemoryStorage):
    """``limits``' in-process storage with its expiry sweep run inline, at most once a second.

    Written by hand because ``limits`` (5.x) starts a sweep task on every hit and hands
    each key's bisect to a thread (``asyncio.to_thread``): a thread hand-off per request
    for microseconds of work, and the largest cost of counting in memory. Counting is
    unchanged: ``acquire_entry`` and ``get_moving_window`` read each entry's own time and
    never rely on the sweep, which only frees expired entries. The sweep runs in one
    synchronous pass (no ``await`` inside, so no hit interleaves with it), exactly as
    ``limits`` sweeps, only less often. Overrides ``limits``' private scheduling method:
    pyproject keeps ``limits`` below 6, and tests/integration/test_limits.py checks that no
    thread is used and that the window still slides.
    """

    SWEEP_SECONDS = 1.0

    def __init__(self) -> None:
        super().__init__()
        self._swept_at = -math.inf

    async def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now - self._swept_at >= self.SWEEP_SECONDS:
            self._swept_at = now
            self._sweep()

    def _sweep(self) -> None:
        now = time.time()
        for key, events in list(self.events.items()):
            # Newest first: the entries still alive are the prefix before the cutoff.
            cutoff = bisect.bisect_left(events, -now, key=lambda event: -event.expiry)
            if cutoff:
                self.events[key] = events[:cutoff]
            else:
                self.events.pop(key, None)
                self.locks.pop(key, None)
        for key, expiry in list(self.expirations.items()):
            if expiry <= now:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                self.locks.pop(key, None)


class _Counts:
    """A rate limiter and a NIK budget kept in one place (Redis or this process)."""

    def __init__(self, rate: MovingWindowRateLimiter, budget: NikBudget) -> None:
        self.rate = rate
        self.budget = budget


class ClientLimits:
    """Per-client request rate and distinct-NIK budget; see the module docstring."""

    def __init__(
        self,
        requests: RateLimitItem,
        nik_budget: int,
        *,
        redis_url: str | None = None,
        key_prefix: str = "citizen-hub",
        nik_window: float = HOUR,
        cost_per_minute: int | None = None,
    ) -> None:
        self._item = requests
        # None: no cost budget (a limiter built for the rate and NIK budget alone).
        self._cost_item = (
            RateLimitItemPerMinute(cost_per_minute, namespace="COST")
            if cost_per_minute is not None
            else None
        )
        self._nik_budget = nik_budget
        self._local = _Counts(
            MovingWindowRateLimiter(_InProcessStorage()), MemoryNikBudget(nik_budget, nik_window)
        )
        self._redis: aioredis.Redis | None = None
        self._shared: _Counts | None = None
        self._redis_retry_at = -math.inf
        self._fallback_logged_at = -math.inf
        if redis_url is None:
            log.info("no [redis] url: request rate and NIK budgets are per process")
            return
        self._redis = aioredis.Redis.from_url(
            redis_url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
        storage = RedisStorage(
            _limits_uri(redis_url),
            wrap_exceptions=True,
            implementation="redispy",
            key_prefix=f"{key_prefix}:rate",
            # One connection pool for both; limits documents the option but types it narrowly.
            connection_pool=self._redis.connection_pool,  # type: ignore[arg-type]
        )
        self._shared = _Counts(
            MovingWindowRateLimiter(storage),
            RedisNikBudget(self._redis, key_prefix, nik_budget, nik_window),
        )

    @classmethod
    def from_settings(cls, settings: Settings, *, key_prefix: str = "citizen-hub") -> Self:
        limits = settings.limits
        return cls(
            RateLimitItemPerMinute(limits.requests_per_minute),
            limits.distinct_niks_per_hour,
            redis_url=settings.redis_url,
            key_prefix=key_prefix,
            cost_per_minute=limits.cost_per_minute,
        )

    async def check_request(self, key: str) -> None:
        """Count one request of the caller ``key``; LimitExceeded past the rate."""
        item = self._item
        stats = await self._take(item, key, 1)
        if stats is not None:
            raise LimitExceeded(
                f"at most {item.amount} requests per {_per(item)}; slow down",
                limit="rate",
                maximum=item.amount,
                value=item.amount,
                figure=item.amount + 1,  # this request would have been one more
                retry_after=_retry_after(stats),
            )

    async def charge_cost(self, key: str, cost: int) -> None:
        """Spend ``cost`` of the caller's budget per minute; LimitExceeded past it."""
        item = self._cost_item
        if item is None or cost <= 0:
            return
        stats = await self._take(item, key, cost)
        if stats is not None:
            spent = item.amount - stats.remaining
            raise LimitExceeded(
                f"this operation costs {cost} and {spent} of the budget of {item.amount} per"
                f" minute is spent; ask for less at a time, or wait",
                limit="cost_per_minute",
                value=item.amount,
                figure=spent + cost,
                maximum=item.amount,
                retry_after=_retry_after(stats),
            )

    async def _take(self, item: RateLimitItem, key: str, cost: int) -> WindowStats | None:
        """Take ``cost`` from ``key``'s moving window of ``item`` (in Redis, or here while
        it does not answer): None when taken, else the window, of which nothing was taken."""
        try:
            return await _hit(self._counts(), item, key, cost)
        except (StorageError, RedisError, OSError) as exc:
            self._fall_back(exc)
            return await _hit(self._local, item, key, cost)

    async def charge_niks(self, key: str, niks: Sequence[str]) -> None:
        """Charge the distinct NIKs shown to the caller ``key``; LimitExceeded past the
        budget (the answer is then withheld, so nothing uncharged is shown)."""
        client_id = key
        # Redis keeps digests, not NIKs: no NIK in clear in its memory, dumps or MONITOR.
        digests = sorted({hashlib.sha256(n.encode()).hexdigest()[:32] for n in niks})
        if not digests:
            return
        try:
            wait = await self._counts().budget.charge(client_id, digests)
        except (RedisError, OSError) as exc:
            self._fall_back(exc)
            wait = await self._local.budget.charge(client_id, digests)
        if wait is None:
            return
        if math.isinf(wait):
            raise LimitExceeded(
                f"this answer holds {len(digests)} citizens; the budget is {self._nik_budget}"
                " distinct NIKs per hour: ask for fewer at a time",
                limit="subject_budget",
                maximum=self._nik_budget,
                value=self._nik_budget,
                figure=len(digests),
            )
        raise LimitExceeded(
            f"the budget of {self._nik_budget} distinct NIKs per hour is spent;"
            " NIKs already asked for this hour remain free",
            limit="subject_budget",
            maximum=self._nik_budget,
            value=self._nik_budget,
            retry_after=max(1, math.ceil(wait)),
        )

    @property
    def shared(self) -> bool:
        """Whether the counts are meant to live in Redis (``[redis] url`` is set)."""
        return self._redis is not None

    async def redis_ping(self) -> None:
        """PING Redis (for ``/readyz``); raises when it does not answer."""
        if self._redis is not None:
            await self._redis.ping()  # type: ignore[misc]

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    def _counts(self) -> _Counts:
        if self._shared is None or time.monotonic() < self._redis_retry_at:
            return self._local
        return self._shared

    def _fall_back(self, exc: BaseException) -> None:
        # A Redis that hangs costs its timeout; paying it on every request would stall
        # them all, so the next few seconds' requests are counted here without asking.
        now = time.monotonic()
        self._redis_retry_at = now + REDIS_RETRY_SECONDS
        if now - self._fallback_logged_at > 60:
            self._fallback_logged_at = now
            log.warning(
                "Redis does not answer (%s): limits are per process until it does",
                type(exc).__name__,
            )


async def _hit(counts: _Counts, item: RateLimitItem, key: str, cost: int) -> WindowStats | None:
    if await counts.rate.hit(item, key, cost=cost):
        return None
    return await counts.rate.get_window_stats(item, key)


def _retry_after(stats: WindowStats) -> int:
    """Whole seconds until the window has room again (at least one)."""
    return max(1, math.ceil(stats.reset_time - time.time()))


def _limits_uri(redis_url: str) -> str:
    """The ``limits`` package's name for the same server (``async+redis://...``)."""
    if redis_url.startswith("unix://"):
        return "async+redis+unix://" + redis_url.removeprefix("unix://")
    return "async+" + redis_url


def _per(item: RateLimitItem) -> str:
    seconds = item.get_expiry()
    return "minute" if seconds == 60 else f"{seconds} seconds"
