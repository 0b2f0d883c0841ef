"""A load test: citizen and family queries, bookings and subscriptions at a bounded rate.

    .venv/bin/python -m bench.load --minutes 2 --rate 10
    .venv/bin/python -m bench.load --url http://127.0.0.1:8080 --pid <hub pid> ...

Without ``--url`` it seeds a city of its own (``--citizens``) into scratch databases,
on a temporary embedded PostgreSQL or the server ``--admin-dsn`` names, serves it with
``citizen-hub serve`` as a subprocess on loopback, and drops the databases at the end.
With ``--url`` it targets a running hub and reads that hub's settings
(citizen-hub.toml, CITIZEN_HUB_*) to register its client, issue tokens and count the
disclosure log; ``--pid`` names the hub's process, for its memory.

Each second it starts ``--rate`` operations, drawn from the mix: a partner's citizen
query, a partner's family query, a citizen's booking (book, then cancel) and a
citizen's subscription (book, follow the ticket over the websocket until its first
event, cancel). It stops after ``--minutes`` and reports, per operation, the requests
and errors (must be 0) and p50/p95/p99 latency; the hub's RSS at start, end and peak;
and the disclosure-log rows written for its requests versus the citizens its answers
held (must be equal). The exit status is 1 when either must fails. The hub it starts,
its callers and the disclosure-log count are in :mod:`bench.load_hub`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Coroutine
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from bench.load_hub import callers, drop_own_databases, logged, own_city, serve
from bench.measuring import pct
from bench.serving import ServedHub
from connectors.base import Source
from connectors.city import build_city
from connectors.seeding import seeded_marker
from hub.embedded import EmbeddedServer
from hub.settings import load_settings

CITIZEN = """query($n: NIK!) { citizen(nik: $n) { nik fullName address { kecamatan }
  schoolAdmissions { status } employment { nip } queueTickets { number } } }"""
FAMILY = """query($kk: String!) { family(familyCardNumber: $kk) {
  head { nik fullName } members { relationship citizen { nik fullName } } } }"""
BOOK = "mutation($i: BookQueueTicketInput!) { bookQueueTicket(input: $i) { id status } }"
CANCEL = "mutation($id: ID!) { cancelQueueTicket(ticketId: $id) { id status } }"
FOLLOW = "subscription($id: ID!) { queueTicket(ticketId: $id) { id status } }"
MIX = {"citizen": 50, "family": 25, "booking": 15, "subscription": 10}


class Load:
    """The load's callers and what it measured: latencies, errors, citizens answered."""

    def __init__(self, session: aiohttp.ClientSession, url: str, partner: dict[str, str]) -> None:
        self.session, self.url, self.partner = session, url, partner
        self.adults: list[str] = []
        self.cards: list[str] = []
        self.citizens: asyncio.Queue[dict[str, str]] = asyncio.Queue()  # one flow each at a time
        self.booking: dict[str, Any] = {}
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []
        self.answered: dict[str, int] = {}  # request id -> citizens its answer held
        self.kind: dict[str, str] = {}  # request id -> operation
        self.subscribed = 0  # subscriptions started (each logs its ticket's citizen)

    def failed(self, op: str, what: str) -> None:
        self.errors[op] += 1
        if len(self.samples) < 8:
            self.samples.append(f"{op}: {what[:200]}")

    async def post(
        self, op: str, headers: dict[str, str], query: str, write: bool = False, **v: Any
    ) -> dict[str, Any] | None:
        """The answer, or None after counting an error. A write's answer names no NIK,
        but it was made for one citizen (the caller), whom it logs."""
        started = time.perf_counter()
        body = {"query": query, "variables": v}
        try:
            async with self.session.post(self.url + "/graphql", json=body, headers=headers) as r:
                answer: dict[str, Any] = await r.json(content_type=None)
                request, status = r.headers.get("X-Request-Id", ""), r.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            self.failed(op, type(exc).__name__)
            return None
        self.latency[op].append((time.perf_counter() - started) * 1000)
        if status != 200 or answer.get("errors"):
            first = (answer.get("errors") or [{}])[0]
            self.failed(op, f"HTTP {status} {first.get('extensions')} {first.get('message')}")
            return None
        self.kind[request] = op
        self.answered[request] = 1 if write else len(niks_in(answer.get("data")))
        return answer

    async def citizen_query(self) -> None:
        await self.post("citizen", self.partner, CITIZEN, n=random.choice(self.adults))

    async def family_query(self) -> None:
        await self.post("family", self.partner, FAMILY, kk=random.choice(self.cards))

    async def booking_flow(self, follow: bool = False) -> None:
        """Book for oneself, (follow the ticket to its first event,) cancel it."""
        citizen = await self.citizens.get()
        try:
            request = {**self.booking, "idempotencyKey": secrets.token_hex(8)}
            booked = await self.post("book", citizen, BOOK, write=True, i=request)
            if booked is None:
                return
            ticket = booked["data"]["bookQueueTicket"]["id"]
            if follow:
                await self.follow(citizen, ticket)
            await self.post("cancel", citizen, CANCEL, write=True, id=ticket)
        finally:
            self.citizens.put_nowait(citizen)

    async def subscription_flow(self) -> None:
        await self.booking_flow(follow=True)

    async def follow(self, citizen: dict[str, str], ticket: str) -> None:
        started = time.perf_counter()
        try:
            async with self.session.ws_connect(
                self.url + "/graphql", protocols=["graphql-transport-ws"]
            ) as ws:
                await ws.send_json({"type": "connection_init", "payload": citizen})
                await ws.receive_json(timeout=30)
                payload = {"query": FOLLOW, "variables": {"id": ticket}}
                await ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
                event = await ws.receive_json(timeout=30)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            self.failed("subscribe", type(exc).__name__)
            return
        self.subscribed += 1
        if event.get("type") != "next" or event["payload"].get("errors"):
            self.failed("subscribe", str(event.get("payload")))
        else:
            self.latency["subscribe"].append((time.perf_counter() - started) * 1000)


def niks_in(value: Any) -> set[str]:
    """The distinct NIKs an answer holds (every ``nik`` field, at any depth)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "nik" and isinstance(item, str):
                found.add(item)
            else:
                found |= niks_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= niks_in(item)
    return found


async def run(load: Load, minutes: float, rate: float, pid: int | None) -> dict[str, int]:
    """Start ``rate`` operations a second for ``minutes``; sample the hub's memory."""
    flows: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {
        "citizen": load.citizen_query,
        "family": load.family_query,
        "booking": load.booking_flow,
        "subscription": load.subscription_flow,
    }
    hub = psutil.Process(pid) if pid else None
    memory = {"start": hub.memory_info().rss if hub else 0, "peak": 0, "end": 0}
    tasks: set[asyncio.Task[None]] = set()
    started = time.monotonic()
    for i in range(int(minutes * 60 * rate)):  # open loop: a slow hub does not slow the load
        await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
        task = asyncio.create_task(flows[random.choices(list(MIX), list(MIX.values()))[0]]())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        if hub and i % max(1, int(rate * 5)) == 0:
            memory["peak"] = max(memory["peak"], hub.memory_info().rss)
    await asyncio.gather(*tasks)
    if hub:
        memory["end"] = hub.memory_info().rss
        memory["peak"] = max(memory["peak"], memory["end"])
    return memory


async def open_day(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str]
) -> dict[str, Any]:
    """The booking the load makes: a centre's busiest service, on an open day soon."""
    query = "{ serviceCentres { code openWeekdays services { code dailyQuota } } }"
    async with session.post(url + "/graphql", json={"query": query}, headers=headers) as r:
        centre = (await r.json())["data"]["serviceCentres"][0]
    day = date.today() + timedelta(days=3)
    while day.isoweekday() not in centre["openWeekdays"]:
        day += timedelta(days=1)
    service = max(centre["services"], key=lambda s: s["dailyQuota"])["code"]
    return dict(
        serviceCentreId=centre["code"],
        serviceId=service,
        date=day.isoformat(),
        phone="081234567890",
    )


def report(
    load: Load, memory: dict[str, Any], rows: dict[str, int], minutes: float, rate: float
) -> bool:
    print(f"\n{minutes:g} min at {rate:g} operations/s; mix {MIX}")
    print(
        f"{'operation':<10} {'requests':>8} {'errors':>6}"
        + "".join(f"{q:>8}" for q in ("p50 ms", "p95 ms", "p99 ms"))
    )
    for op in ("citizen", "family", "book", "cancel", "subscribe"):
        times = load.latency.get(op, [])
        p50, p95, p99 = (pct(times, q) for q in (0.5, 0.95, 0.99))
        requests = len(times) + load.errors[op]
        print(f"{op:<10} {requests:>8} {load.errors[op]:>6} {p50:8.1f} {p95:8.1f} {p99:8.1f}")
    for sample in load.samples:
        print("  error:", sample)
    if memory["start"]:
        start, end, peak = (memory[k] / 2**20 for k in ("start", "end", "peak"))
        print(f"hub RSS: start {start:.0f} MiB, end {end:.0f} MiB, peak {peak:.0f} MiB")
    by_op: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for request, op in load.kind.items():
        by_op[op][0] += load.answered[request]
        by_op[op][1] += rows.pop(request, 0)
    by_op["subscribe"] = [load.subscribed, sum(rows.values())]  # sockets: no request id
    print(f"{'operation':<10} {'citizens answered':>18} {'rows logged':>12}")
    for op, (answered, logged_rows) in by_op.items():
        print(f"{op:<10} {answered:>18} {logged_rows:>12}")
    answered = sum(a for a, _ in by_op.values())
    written = sum(w for _, w in by_op.values())
    errors = sum(load.errors.values())
    print(f"errors: {errors}; disclosure rows written {written}, citizens answered {answered}")
    return errors == 0 and written == answered


async def main(args: argparse.Namespace) -> int:
    embedded: EmbeddedServer | None = None
    hub: ServedHub | None = None
    folder = Path(tempfile.mkdtemp(prefix="citizen-hub-load-"))
    admin, config, pid = args.admin_dsn, None, args.pid
    try:
        if args.url:
            url, settings = args.url.rstrip("/"), load_settings()
            marker = await seeded_marker(settings.source_dsns[Source.SIAK]) or ""
            fields = dict(p.split("=", 1) for p in marker.split() if "=" in p)
            city = build_city(int(fields.get("citizens", "10000")), int(fields.get("seed", "42")))
        else:
            if admin is None:
                embedded = EmbeddedServer(folder / "pg")
                admin = embedded.dsn()
            config, city = await own_city(admin, args.citizens, folder)
            url, hub, settings = await serve(config, folder)
            pid = hub.process.pid
        client_id, partner, citizens, subjects = await callers(settings, city, args.citizen_callers)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            load = Load(session, url, partner)
            load.adults = [p.nik for p in city.people if p.age() >= 18]
            load.cards = [f.kk for f in city.families]
            for citizen in citizens:
                load.citizens.put_nowait(citizen)
            load.booking = await open_day(session, url, partner)
            since = time.time() - 1
            print(f"load: {args.minutes:g} min at {args.rate:g} operations/s on {url}", flush=True)
            memory = await run(load, args.minutes, args.rate, pid)
        rows = await logged(settings, since, client_id, subjects)
        return 0 if report(load, memory, rows, args.minutes, args.rate) else 1
    finally:
        if hub is not None:
            await hub.stop()
        if config is not None and admin is not None:
            await drop_own_databases(admin, config)
        if embedded is not None:
            embedded.stop()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--minutes", type=float, default=2.0, help="how long (default 2)")
    add("--rate", type=float, default=10.0, help="operations started per second (default 10)")
    add("--url", help="a running hub to target (this command reads its settings too)")
    add("--pid", type=int, help="with --url: the hub's process id, for its memory")
    add("--citizens", type=int, default=2000, help="the city to seed (default 2000)")
    add("--citizen-callers", type=int, default=40, help="citizens who book (default 40)")
    add("--admin-dsn", help="a PostgreSQL server to seed on (default: a temporary embedded one)")
    args = parser.parse_args()
    if args.minutes <= 0 or args.rate <= 0:
        parser.error("--minutes and --rate must be positive")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(arguments())))
