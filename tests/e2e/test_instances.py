"""Two hub processes behind one Redis, on the same databases, as a load balancer sees them.

Both are real ``citizen-hub serve`` subprocesses on two ports, started from one
settings file whose ``[redis] url`` points at a database of the test Redis of their
own (``CITIZEN_HUB_TEST_REDIS_INSTANCES``, default ``redis://127.0.0.1:6379/9``). A
client's requests alternate between them and must be counted as one client's: the
rate and the distinct-NIK budget hold across both. A subscription on one follows a
ticket booked and cancelled through the other; the disclosure log both wrote verifies.

The databases are a small city of their own: ``serve`` seals the hub's signing keys
under its key-encryption key, which the other tests' in-process hubs do not have.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from bench.serving import ServedHub, clean_environment, start_hub
from connectors.base import Source
from connectors.city import Family
from connectors.seeding import seed_city
from hub.identity.sync import sync_databases
from hub.settings import Settings, load_settings
from tests.conftest import TEST_SEED, ScratchDatabases
from tests.e2e.conftest import citizen_headers, grant, logged_for
from tests.e2e.test_websocket import PROTOCOL

REDIS_URL = os.environ.get("CITIZEN_HUB_TEST_REDIS_INSTANCES", "redis://127.0.0.1:6379/9")
CITIZENS = 300
RATE = 20  # requests per minute per client, shared by both instances
BUDGET = 6  # distinct NIKs per hour per client, shared by both instances
ROOT = Path(__file__).resolve().parents[2]
BOOK = "mutation($i: BookQueueTicketInput!) { bookQueueTicket(input: $i) { id status } }"
CANCEL = "mutation($id: ID!) { cancelQueueTicket(ticketId: $id) { id status } }"
FOLLOW = "subscription($id: ID!) { queueTicket(ticketId: $id) { id status } }"


async def redis_answers() -> bool:
    client = aioredis.Redis.from_url(REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        return bool(await client.ping())
    except (OSError, aioredis.RedisError):
        return False
    finally:
        await client.aclose()


@dataclass
class Pair:
    """The two running instances, their one settings file, a family and adults' NIKs."""

    urls: tuple[str, str]
    config: Path
    settings: Settings
    env: dict[str, str]
    family: Family
    niks: list[str]


def settings_file(folder: Path, dsns: dict[Source | str, str]) -> Path:
    sources = "\n".join(f'{s.value} = "{dsns[s]}"' for s in Source)
    path = folder / "citizen-hub.toml"
    path.write_text(
        f'[server]\ndata_dir = "{folder / "data"}"\n\n[sources]\n{sources}\n\n'
        f'[hub]\ndsn = "{dsns["hub"]}"\n\n[redis]\nurl = "{REDIS_URL}"\n\n'
        f"[limits]\nrequests_per_minute = {RATE}\ndistinct_niks_per_hour = {BUDGET}\n\n"
        f'[audit]\ncheckpoint_file = "{folder / "checkpoints.jsonl"}"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
async def pair(
    test_databases: ScratchDatabases, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Pair]:
    if not await redis_answers():
        pytest.skip(f"Redis does not answer at {REDIS_URL}: the instances share their limits there")
    dsns = await test_databases.create("instances")
    report = await seed_city({s: dsns[s] for s in Source}, CITIZENS, TEST_SEED)
    await sync_databases({s: dsns[s] for s in Source}, dsns["hub"])
    assert report.city is not None
    folder = tmp_path_factory.mktemp("instances")
    config = settings_file(folder, dsns)
    hubs: list[ServedHub] = []
    try:
        for name in ("a", "b"):  # one after the other: the first migrates and makes the keys
            kek = hubs[0].kek if hubs else None  # sealing the keys both sign with
            log = folder / f"hub-{name}.log"
            hubs.append(await start_hub(clean_environment(), config=config, kek=kek, log=log))
        settings = load_settings(config, hubs[0].env)
        family = report.city.showcase[0]
        niks = [p.nik for p in report.city.people if p.age() >= 18][: BUDGET + 2]
        yield Pair((hubs[0].url, hubs[1].url), config, settings, hubs[0].env, family, niks)
    finally:
        await asyncio.gather(*(hub.stop(30) for hub in hubs))


async def ask(
    url: str, headers: dict[str, str], query: str, **variables: Any
) -> tuple[dict[str, Any], str]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url + "/graphql", json={"query": query, "variables": variables}, headers=headers
        ) as response,
    ):
        return await response.json(), response.headers.get("X-Request-Id", "")


def refusal(body: dict[str, Any]) -> dict[str, Any] | None:
    for error in body.get("errors", []):
        if error.get("extensions", {}).get("code") == "LIMIT_EXCEEDED":
            extensions: dict[str, Any] = error["extensions"]
            return extensions
    return None


async def test_a_clients_rate_is_counted_across_both_instances(pair: Pair) -> None:
    headers = await grant(pair.settings, name="qa-instances-rate")
    answered = []
    for i in range(RATE + 2):  # alternating: each instance alone sees only half of them
        body, _ = await ask(pair.urls[i % 2], headers, "{ serviceCentres { code } }")
        answered.append(refusal(body) is None)
    assert answered == [True] * RATE + [False, False]
    body, _ = await ask(pair.urls[0], headers, "{ serviceCentres { code } }")
    limit = refusal(body)
    assert limit is not None and limit["limit"] == "rate" and limit["maximum"] == RATE


async def test_a_clients_distinct_nik_budget_is_counted_across_both_instances(pair: Pair) -> None:
    headers = await grant(pair.settings, name="qa-instances-budget")
    query = "query($n: NIK!) { citizen(nik: $n) { nik } }"
    for i, nik in enumerate(pair.niks[:BUDGET]):  # half through each instance
        body, _ = await ask(pair.urls[i % 2], headers, query, n=nik)
        assert body["data"]["citizen"]["nik"] == nik, body
    for url in pair.urls:  # a new NIK is refused by both, whichever counted the others
        body, _ = await ask(url, headers, query, n=pair.niks[BUDGET])
        limit = refusal(body)
        assert limit is not None and limit["limit"] == "subject_budget", body
        assert pair.niks[BUDGET] not in json.dumps(body)
    # A NIK asked through the other instance this hour costs nothing again.
    body, _ = await ask(pair.urls[1], headers, query, n=pair.niks[0])
    assert body["data"]["citizen"]["nik"] == pair.niks[0], body


async def test_a_subscription_on_one_instance_follows_a_ticket_booked_through_the_other(
    pair: Pair,
) -> None:
    parent = await citizen_headers(pair.settings, pair.family.head.nik)
    first, second = pair.urls
    centres, _ = await ask(
        second, parent, "{ serviceCentres { code openWeekdays services { code dailyQuota } } }"
    )
    centre = centres["data"]["serviceCentres"][0]
    service = max(centre["services"], key=lambda s: s["dailyQuota"])["code"]
    day = date.today() + timedelta(days=3)
    while day.isoweekday() not in centre["openWeekdays"]:
        day += timedelta(days=1)
    booking = {
        "serviceCentreId": centre["code"],
        "serviceId": service,
        "date": day.isoformat(),
        "phone": "081234567890",
        "idempotencyKey": secrets.token_hex(8),
    }
    booked, booked_request = await ask(second, parent, BOOK, i=booking)
    ticket = booked["data"]["bookQueueTicket"]["id"]
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(first + "/graphql", protocols=[PROTOCOL]) as ws,
    ):
        await ws.send_json({"type": "connection_init", "payload": parent})
        assert (await ws.receive_json(timeout=10))["type"] == "connection_ack"
        await ws.send_json(
            {
                "id": "t",
                "type": "subscribe",
                "payload": {"query": FOLLOW, "variables": {"id": ticket}},
            }
        )
        seen = await ws.receive_json(timeout=10)
        assert seen["payload"]["data"]["queueTicket"] == {"id": ticket, "status": "WAITING"}, seen
        cancelled, cancel_request = await ask(second, parent, CANCEL, id=ticket)
        assert cancelled["data"]["cancelQueueTicket"]["status"] == "CANCELLED", cancelled
        seen = await ws.receive_json(timeout=15)  # the feed polls every 2 s without a trigger
        assert seen["payload"]["data"]["queueTicket"]["status"] == "CANCELLED", seen
        assert (await ws.receive_json(timeout=10))["type"] == "complete"
    # Both writes through the second instance are on the parent's disclosure log.
    for request in (booked_request, cancel_request):
        assert await logged_for(pair.settings, request, [pair.family.head.nik]) == {
            pair.family.head.nik
        }


async def test_the_disclosure_log_both_instances_wrote_verifies(pair: Pair) -> None:
    headers = await grant(pair.settings, name="qa-instances-audit")
    query = "query($n: NIK!) { citizen(nik: $n) { nik } }"
    requests = []
    for i, nik in enumerate(pair.niks[:4]):
        body, request = await ask(pair.urls[i % 2], headers, query, n=nik)
        assert body["data"]["citizen"]["nik"] == nik, body
        requests.append((request, nik))
    for request, nik in requests:  # written by the instance that answered it
        assert await logged_for(pair.settings, request, [nik]) == {nik}
    verify = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        "--config",
        str(pair.config),
        "audit",
        "verify",
        cwd=ROOT,
        env=pair.env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await verify.communicate()
    text = output.decode(errors="replace")
    assert verify.returncode == 0, text
    assert "intact" in text and "broken" not in text, text
    # One chain per instance's writer: both wrote, and each chain verifies on its own.
    chains = re.search(r"chains intact: \d+ rows in (\d+) chains?\b", text)
    assert chains is not None and int(chains.group(1)) >= 2, text
