"""graphql-transport-ws with graphql-ws (npm), the protocol's reference implementation."""

from __future__ import annotations

from datetime import date, timedelta

from connectors.antrian.counter import serve_ticket
from connectors.base import Source
from tests.e2e.test_access import ask
from tests.e2e.writes.test_services import BOOK, booking, open_service
from tests.e2e.writes.test_subscriptions import counter_calls
from tests.interop.conftest import NodeScripts, RunningScript


async def book(hub_url: str, token: str, weeks_ahead: int) -> tuple[str, str, date]:
    """A waiting ticket of the token's citizen (its id, service and day), ``weeks_ahead``
    weeks after a day within the coming week: one person may hold one ticket per service
    and day, and each test here books its own."""
    centre, service, day = await open_service(hub_url)
    day += timedelta(weeks=weeks_ahead)
    headers = {"Authorization": f"Bearer {token}"}
    _, booked, _ = await ask(hub_url, headers, BOOK, input=booking(centre, service, day))
    assert booked.get("data"), booked
    ticket: str = booked["data"]["bookQueueTicket"]["id"]
    return ticket, service, day


async def test_the_protocols_edge_cases_behave_as_graphql_ws_own_server(
    node: NodeScripts, hub_url: str, parent_token: str
) -> None:
    ticket, _, _ = await book(hub_url, parent_token, weeks_ahead=1)
    outcome = await node.run("ws-edges.mjs", hub_url, parent_token, ticket)
    assert outcome["hub"] == outcome["reference"], outcome
    hub = outcome["hub"]
    assert hub["initTimeout"] == {"close": 4408}
    assert hub["subscribeBeforeAck"] == {"close": 4401}
    assert hub["secondInit"] == {"close": 4429}
    assert hub["pingPong"] == {"reply": "pong", "afterPong": None, "open": True}
    assert hub["queryCompletes"] == {"types": ["next", "complete"], "data": True}
    assert hub["duplicateId"] == {"first": "next", "close": 4409}
    assert hub["clientCompletes"] == {"first": "next", "again": "next", "open": True}
    assert hub["invalidMessage"] == {"close": 4400}


async def test_graphql_ws_client_follows_a_ticket_until_the_counter_serves_it(
    node: NodeScripts,
    hub_url: str,
    writable_dsns: dict[Source | str, str],
    parent_token: str,
) -> None:
    ticket, service, day = await book(hub_url, parent_token, weeks_ahead=0)
    async with node.start("ws-follow.mjs", hub_url, parent_token, ticket) as follow:
        first = await follow.line()
        assert first["next"]["queueTicket"]["status"] == "WAITING", first
        async with counter_calls(writable_dsns[Source.ANTRIAN], service, day, ticket) as db:
            statuses = [await status_after(follow, "WAITING")]
            await serve_ticket(db, ticket)
        statuses.append(await status_after(follow, "CALLED"))
        assert statuses == ["CALLED", "SERVED"]
        assert await follow.line() == {"complete": True}
        assert await follow.stop() == 0


async def status_after(follow: RunningScript, current: str) -> str:
    """The ticket's next status other than ``current`` (the queue ahead moves meanwhile)."""
    while True:
        event = await follow.line()
        assert "next" in event and not event["errors"], event
        status: str = event["next"]["queueTicket"]["status"]
        if status != current:
            return status
