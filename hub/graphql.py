"""The GraphQL endpoint over HTTP and websockets: a thin adapter over the schema.

It authenticates (HTTP: per request; websocket: at ``connection_init`` and again
before each operation, see :mod:`hub.websocket`), makes the context, and turns a
refusal into an HTTP status. Everything else — limits, the access decision,
disclosures, error masking — happens in the operation pipeline
(:mod:`schema.execution.pipeline`), which both transports share.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

import orjson
from aiohttp import web
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from connectors.base import Store
from hub.access import PURPOSE_HEADER, authenticate
from hub.auth import TOKEN_VALIDATOR
from hub.graphiql import graphiql_handler
from hub.http_input import loads, read_graphql_request
from hub.idempotency import PgIdempotencyStore
from hub.keys import AUDIT_SINK, CITIZEN_IDS, LIMITER, TICKET_FEED
from hub.websocket import SocketSession, checked_message
from schema.context import Context
from schema.errors import SourceUnavailable
from schema.execution.errors import client_error
from schema.execution.ports import Refusal

if TYPE_CHECKING:
    import strawberry
    from cross_web import AsyncHTTPRequestAdapter  # strawberry's request adapter

    from connectors.base import Source, SourceDB
    from hub.settings import Limits
    from schema.guard import SourceGuard

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID = web.RequestKey("request_id", str)
CONNECTION_INIT_TIMEOUT = timedelta(seconds=10)
MAX_MESSAGE_BYTES = 1024 * 1024


class HubGraphQLView(GraphQLView[Context, None]):
    def __init__(
        self,
        schema: strawberry.Schema,
        sources: Mapping[Source, SourceDB],
        guard: SourceGuard,
        limits: Limits,
        *,
        token_recheck_seconds: float = 10.0,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
        )
        self.sources = sources
        self.guard = guard
        self.limits = limits
        self.token_recheck_seconds = token_recheck_seconds

    async def get_context(self, request: web.Request, response: web.Response) -> Context:  # type: ignore[override]
        validator = request.app[TOKEN_VALIDATOR]
        context = Context(
            self.sources,
            self.guard,
            self.limits,
            audit=request.app[AUDIT_SINK],
            limiter=request.app[LIMITER],
            ids=request.app[CITIZEN_IDS],
            idempotency=self._idempotency,
            feed=request.app[TICKET_FEED],
            peer=request.remote,
        )
        if isinstance(response, web.WebSocketResponse):
            # No HTTP status to set on a socket; the token is checked at
            # connection_init and before each operation.
            session = SocketSession(response, validator, request, self.token_recheck_seconds)
            context.transport = session
            context.reauthenticate = session.authenticate
            return context
        context.viewer, context.refusal = await authenticate(
            validator, request.headers.get("Authorization"), request.headers.get(PURPOSE_HEADER)
        )

        def on_refuse(refusal: Refusal) -> None:
            response.set_status(refusal.status)
            response.headers.update(refusal.headers)

        context.on_refuse = on_refuse
        response.headers[REQUEST_ID_HEADER] = context.request_id
        request[REQUEST_ID] = context.request_id
        return context

    def _idempotency(self, scope: str) -> PgIdempotencyStore:
        """The idempotency keys of one kind of write, in the hub's own database."""
        store = getattr(self.sources, "store", None)
        if store is None:
            raise SourceUnavailable(Store.HUB, "the hub database is not connected")
        return PgIdempotencyStore(store, scope)

    async def create_websocket_response(
        self, request: web.Request, subprotocol: str | None
    ) -> web.WebSocketResponse:
        # A message is one operation: no larger than an HTTP request body may be.
        socket = web.WebSocketResponse(
            protocols=[subprotocol] if subprotocol else [], max_msg_size=MAX_MESSAGE_BYTES
        )
        await socket.prepare(request)
        return socket

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        session = context.transport
        assert isinstance(session, SocketSession)
        await session.connect(context.connection_params)
        unset: UnsetType = UNSET
        return unset

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        """GET query string or POST JSON body; anything malformed is a 400 naming it."""
        return await read_graphql_request(request)

    def decode_json(self, data: str | bytes) -> object:
        """Websocket messages: strict, depth-bounded, and of a shape the protocol
        handler can take (anything else closes the socket with 4400)."""
        return checked_message(loads(data))

    async def render_graphql_ide(self, request: web.Request) -> web.Response:
        return await graphiql_handler(request)

    def encode_json(self, data: object) -> str:
        # A str, not orjson's bytes: strawberry sends bytes on a websocket as binary
        # frames, which graphql-transport-ws clients do not read.
        return orjson.dumps(data).decode()

    async def process_result(
        self, request: web.Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            # The pipeline masked them already; this is the net for anything that
            # failed before it ran (strawberry's own request errors).
            request_id = request.get(REQUEST_ID, "-")
            response["errors"] = [client_error(e, request_id).formatted for e in result.errors]
        if result.extensions:
            response["extensions"] = result.extensions
        return response
