"""The HTTP adapter over the schema: context per request, orjson, masked errors, GraphiQL."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web
from graphql import GraphQLError
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from hub.access import PURPOSE_HEADER, viewer_for
from hub.auth import TOKEN_VALIDATOR, AuthError
from hub.graphiql import graphiql_handler
from hub.keys import AUDIT_SINK, LIMITER
from schema.access import Refusal
from schema.context import Context
from schema.errors import HubError
from schema.policy import Viewer

if TYPE_CHECKING:
    import strawberry

    from connectors.base import Source, SourceDB
    from hub.settings import Limits
    from schema.guard import SourceGuard

log = logging.getLogger("citizen_hub.graphql")
REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID = web.RequestKey("request_id", str)


class HubGraphQLView(GraphQLView[Context, None]):
    def __init__(
        self,
        schema: strawberry.Schema,
        sources: Mapping[Source, SourceDB],
        guard: SourceGuard,
        limits: Limits,
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql")
        self.sources = sources
        self.guard = guard
        self.limits = limits

    async def get_context(self, request: web.Request, response: web.Response) -> Context:  # type: ignore[override]
        viewer, refusal = await self._viewer(request)

        def on_refuse(refusal: Refusal) -> None:
            response.set_status(refusal.status)
            response.headers.update(refusal.headers)

        context = Context(
            self.sources,
            self.guard,
            self.limits,
            viewer=viewer,
            refusal=refusal,
            audit=request.app[AUDIT_SINK],
            limiter=request.app[LIMITER],
            on_refuse=on_refuse,
        )
        response.headers[REQUEST_ID_HEADER] = context.request_id
        request[REQUEST_ID] = context.request_id
        return context

    async def _viewer(self, request: web.Request) -> tuple[Viewer | None, Refusal | None]:
        """Authenticate the bearer token (if any) and apply the declared purpose."""
        header = request.headers.get("Authorization")
        if header is None:
            return None, None  # anonymous: the access policy says what that may see
        validator = request.app[TOKEN_VALIDATOR]
        try:
            principal = await validator.authenticate(header)
        except AuthError as exc:
            # 400 malformed header, 401 bad token, 503 an issuer's keys unreachable:
            # in every case the caller is not authenticated; the status says why.
            return None, Refusal(
                "UNAUTHENTICATED",
                exc.description or "invalid token",
                status=exc.status,
                headers=exc.headers,
            )
        try:
            return await viewer_for(principal, request.headers.get(PURPOSE_HEADER), validator)
        except AuthError as exc:  # the client registry cannot be read now (503)
            return None, Refusal(
                "UNAUTHENTICATED", exc.description, status=exc.status, headers=exc.headers
            )

    async def render_graphql_ide(self, request: web.Request) -> web.Response:
        return await graphiql_handler(request)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def process_result(
        self, request: web.Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            request_id = request.get(REQUEST_ID, "-")
            response["errors"] = [_client_error(e, request_id) for e in result.errors]
        if result.extensions:
            response["extensions"] = result.extensions
        return response


def _client_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """What the client may see of an error; anything unexpected is masked as INTERNAL."""
    original = error.original_error
    if isinstance(original, HubError) or (error.extensions or {}).get("code"):
        return error.formatted  # type: ignore[return-value]
    if original is None or isinstance(original, GraphQLError):
        # Syntax, validation and variable coercion: the client's query is at fault.
        formatted = dict(error.formatted)
        formatted["extensions"] = {"code": "BAD_USER_INPUT", **(error.extensions or {})}
        return formatted
    # Log where it happened, never the message: it may quote SQL or a citizen's data.
    stack = "".join(traceback.format_tb(original.__traceback__))
    log.error(
        "request %s: unexpected %s at %s\n%s",
        request_id,
        type(original).__name__,
        ".".join(str(p) for p in error.path or ()),
        stack,
    )
    masked: dict[str, Any] = {
        "message": f"internal error; quote request id {request_id} to the hub operators",
        "extensions": {"code": "INTERNAL", "requestId": request_id},
    }
    if error.path:
        masked["path"] = error.path
    if error.locations:
        masked["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    return masked
