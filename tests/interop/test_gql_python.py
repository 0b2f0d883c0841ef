"""Python's gql (its aiohttp and websockets transports) against the hub: a query, a
mutation and a subscription, each checked by gql against the schema it fetched from the
hub by introspection."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from gql import Client, GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.websockets import WebsocketsTransport
from graphql import GraphQLSchema

from tests.e2e.writes.test_services import booking, open_service

CENTRES = "query Centres { serviceCentres { code name services { code name } } }"
CITIZEN = "query Citizen($n: NIK!) { citizen(nik: $n) { nik fullName birthDate } }"
BOOK = """mutation Book($input: BookQueueTicketInput!) {
  bookQueueTicket(input: $input) { id number date status }
}"""
CANCEL = "mutation Cancel($id: ID!) { cancelQueueTicket(ticketId: $id) { id status } }"
FOLLOW = "subscription Follow($id: ID!) { queueTicket(ticketId: $id) { id status } }"


def http(hub_url: str, headers: dict[str, str] | None = None) -> Client:
    """gql over aiohttp, validating every operation against the introspected schema."""
    transport = AIOHTTPTransport(url=hub_url + "/graphql", headers=headers or {})
    return Client(transport=transport, fetch_schema_from_transport=True)


def request(document: str, **variables: Any) -> GraphQLRequest:
    return GraphQLRequest(document, variable_values=variables or None)


async def test_gql_fetches_the_schema_by_introspection_and_runs_a_query(
    hub_url: str, partner_headers: dict[str, str], showcase_nik: str
) -> None:
    async with http(hub_url) as session:
        centres = await session.execute(request(CENTRES))
        assert isinstance(session.client.schema, GraphQLSchema)
        assert session.client.schema.get_type("NIK") is not None
    assert centres["serviceCentres"][0]["services"]
    async with http(hub_url, partner_headers) as session:
        answer = await session.execute(request(CITIZEN, n=showcase_nik))
    assert answer["citizen"]["nik"] == showcase_nik
    assert answer["citizen"]["fullName"]


async def test_gql_books_a_ticket_and_follows_it_over_the_websocket_until_cancelled(
    hub_url: str, parent_token: str
) -> None:
    headers = {"Authorization": f"Bearer {parent_token}"}
    centre, service, day = await open_service(hub_url)
    day += timedelta(weeks=2)  # not a day the graphql-ws tests book for the same person
    async with http(hub_url, headers) as session:
        booked = await session.execute(request(BOOK, input=booking(centre, service, day)))
    ticket = booked["bookQueueTicket"]
    assert ticket["status"] == "WAITING"

    socket = WebsocketsTransport(
        url=hub_url.replace("http", "ws", 1) + "/graphql",
        init_payload=headers,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    statuses = []
    async with (
        asyncio.timeout(60),  # a subscription the hub never completed fails, not hangs
        Client(transport=socket) as live,
        http(hub_url, headers) as session,
    ):
        async for event in live.subscribe(request(FOLLOW, id=ticket["id"])):
            statuses.append(event["queueTicket"]["status"])
            if statuses == ["WAITING"]:
                cancelled = await session.execute(request(CANCEL, id=ticket["id"]))
                assert cancelled["cancelQueueTicket"]["status"] == "CANCELLED"
    # The loop ends when the hub completes the subscription: the ticket is over.
    assert statuses[0] == "WAITING" and statuses[-1] == "CANCELLED"
