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
from cross_web import HTTPException
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from connectors.base import Store
from hub.access import PURPOSE_HEADER, authenticate
from hub.auth import TOKEN_VALIDATOR
from hub.client_address import client_address
from hub.consents import HubConsents
from hub.graphiql import graphiql_handler
from hub.graphql_response import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    is_request_error,
    request_error_status,
    response_media_type,
)
from hub.http_input import (
    document_message,
    from_graphiql,
    loads,
    names_document,
    read_graphql_request,
)
from hub.idempotency import PgIdempotencyStore
from hub.keys import AUDIT_SINK, CITIZEN_IDS, DOCUMENTS, LIMITER, TICKET_FEED
from hub.socket_limits import IdleLegacyWSHandler, IdleTransportWSHandler, SocketCount
from hub.websocket import SocketSession, checked_message
from schema.context import Context
from schema.errors import SourceUnavailable
from schema.execution.errors import client_error
from schema.execution.ports import Refusal

if TYPE_CHECKING:
    import strawberry
    from cross_web import AsyncHTTPRequestAdapter  # strawberry's request adapter
    from strawberry.http.base import BaseRequestProtocol

    from connectors.base import Source, SourceDB
    from hub.settings import Limits
    from schema.guard import SourceGuard

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID = web.RequestKey("request_id", str)
# The response being built for an HTTP request, and the media type it is sent as.
SUB_RESPONSE = web.RequestKey("graphql_sub_response", web.Response)
MEDIA_TYPE = web.ResponseKey("graphql_media_type", str)
CONNECTION_INIT_TIMEOUT = timedelta(seconds=10)
MAX_MESSAGE_BYTES = 1024 * 1024


class HubGraphQLView(GraphQLView[Context, None]):
    # Both protocols log a socket that closed mid-answer as the client's doing, not an error.
    # ... and close a socket left idle (hub.socket_limits).
    graphql_transport_ws_handler_class = IdleTransportWSHandler
    graphql_ws_handler_class = IdleLegacyWSHandler

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
        self.sockets = SocketCount()

    async def run(  # type: ignore[override]
        self,
        request: web.Request,
        context: Context | UnsetType = UNSET,
        root_value: UnsetType | None = UNSET,
    ) -> web.StreamResponse:
        """A websocket counts against its client address's cap while it is open."""
        if not self.is_websocket_request(request):
            return await super().run(request, context, root_value)  # type: ignore[arg-type]
        address = client_address(request) or "-"
        self.sockets.admit(address, self.limits.websockets_per_address)
        try:
            return await super().run(request, context, root_value)  # type: ignore[arg-type]
        finally:
            self.sockets.release(address)

    async def get_context(self, request: web.Request, response: web.Response) -> Context:  # type: ignore[override]
        validator = request.app[TOKEN_VALIDATOR]
        hub = getattr(self.sources, "store", None)
        context = Context(
            self.sources,
            self.guard,
            self.limits,
            consents=HubConsents(hub) if hub is not None else None,
            audit=request.app[AUDIT_SINK],
            limiter=request.app[LIMITER],
            ids=request.app[CITIZEN_IDS],
            idempotency=self._idempotency,
            feed=request.app[TICKET_FEED],
            peer=client_address(request),
            documents=request.app.get(DOCUMENTS),
            from_graphiql=from_graphiql(request.headers),
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
        request[SUB_RESPONSE] = response
        response[MEDIA_TYPE] = response_media_type(request.headers.get("Accept"))
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

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET naming a registered document (documentId, Apollo's extensions) is an
        # operation, not a visit to GraphiQL, whatever its Accept header says.
        return super().should_render_graphql_ide(request) and not names_document(
            request.query_params
        )

    async def execute_single(
        self,
        request: web.Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: web.Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        try:
            return await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except HTTPException as exc:
            cause = exc.__cause__
            if (
                request_adapter.method == "GET"
                and isinstance(cause, InvalidOperationTypeError)
                and cause.operation_type is OperationType.MUTATION
            ):
                # GraphQL over HTTP: a mutation sent with GET is 405 Method Not Allowed
                # (strawberry says 400), with the method that does take it.
                raise web.HTTPMethodNotAllowed(
                    "GET", ["POST"], text="mutations are not allowed with GET: send them with POST"
                ) from None
            raise

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        """GET query string or POST JSON body; anything malformed is a 400 naming it."""
        return await read_graphql_request(request, self.limits)

    def decode_json(self, data: str | bytes) -> object:
        """Websocket messages: strict, depth-bounded, and of a shape the protocol
        handler can take (anything else closes the socket with 4400)."""
        return checked_message(document_message(loads(data)))

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
        errors = []
        if result.errors:
            # The pipeline masked them already; this is the net for anything that
            # failed before it ran (strawberry's own request errors).
            request_id = request.get(REQUEST_ID, "-")
            errors = [client_error(e, request_id) for e in result.errors]
            response["errors"] = [e.formatted for e in errors]
        if result.extensions:
            response["extensions"] = result.extensions
        sub_response = request.get(SUB_RESPONSE)
        if (
            sub_response is not None
            and sub_response.get(MEDIA_TYPE) == GRAPHQL_RESPONSE_JSON
            and is_request_error(result.data, errors)
        ):
            # Nothing was executed: say so by the status, with no data entry.
            del response["data"]
            if sub_response.status == 200:  # a refused token has set its own
                status, headers = request_error_status(errors)
                sub_response.set_status(status)
                sub_response.headers.update(headers)
        return response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: web.Response,
    ) -> web.Response:
        response = super().create_response(response_data, sub_response)
        response.content_type = sub_response.get(MEDIA_TYPE, APPLICATION_JSON)
        return response
