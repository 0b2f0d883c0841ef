"""A GraphQL websocket (graphql-transport-ws) that never outlives its token.

The token comes in ``connection_init``'s payload (``{"Authorization": "Bearer …"}``,
and ``X-Purpose`` for partners), or in the upgrade request's headers; a bad one
closes the socket (4403) before it is acknowledged. After that:

- every operation checks the token again (:meth:`SocketSession.authenticate` is
  the context's ``reauthenticate``) and is authorised, limited and logged as its
  own request (the pipeline gives it its own context and request id);
- the socket is closed (4401) when the token expires, and (4403) within
  ``auth.revocation_cache_seconds`` of its client being revoked, even while idle.

A socket that closes while an answer is on its way (the client left, or the hub
closed it with 4400/4401/4403) is the client's doing, not a failure: it is logged
at DEBUG, without a traceback. An operation that fails in the hub is logged at ERROR
with where it failed, never the exception's message (it may quote a citizen's data).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import traceback
from typing import TYPE_CHECKING

from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from hub.access import PURPOSE_HEADER, authenticate
from hub.auth import AuthError
from schema.context import Context
from schema.execution.ports import Refusal, Viewer

if TYPE_CHECKING:
    from aiohttp import web

    from hub.auth import TokenValidator

log = logging.getLogger(__name__)

EXPIRED = 4401
FORBIDDEN = 4403


class SocketSession:
    """The authentication of one websocket, checked for as long as it is open."""

    def __init__(
        self,
        socket: web.WebSocketResponse,
        validator: TokenValidator,
        upgrade: web.Request,
        recheck_seconds: float,
    ) -> None:
        self.socket = socket
        self.validator = validator
        self.authorization = upgrade.headers.get("Authorization")
        self.purpose = upgrade.headers.get(PURPOSE_HEADER)
        self.recheck_seconds = max(recheck_seconds, 0.2)
        self.expires_at: float | None = None
        self._watch: asyncio.Task[None] | None = None

    async def connect(self, params: dict[str, object] | None) -> None:
        """Authenticate ``connection_init``; ConnectionRejectionError refuses the socket."""
        params = params or {}
        header = _text(params, "Authorization")
        if header is not None:
            self.authorization = header
        purpose = _text(params, PURPOSE_HEADER)
        if purpose is not None:
            self.purpose = purpose
        viewer, refusal = await self.authenticate()
        if refusal is not None:
            raise ConnectionRejectionError({"code": refusal.code, "message": refusal.message})
        if viewer is not None and self.authorization is not None:
            principal = await self.validator.authenticate(self.authorization)
            self.expires_at = principal.expires_at
            self._watch = asyncio.create_task(self._watch_token())

    async def authenticate(self) -> tuple[Viewer | None, Refusal | None]:
        """The socket's viewer now: its token checked again (expiry, revocation)."""
        if self.expires_at is not None and time.time() >= self.expires_at:
            # No leeway here: a socket's operations end when its token does.
            refusal: Refusal | None = Refusal("UNAUTHENTICATED", "the access token expired")
            viewer = None
        else:
            viewer, refusal = await authenticate(self.validator, self.authorization, self.purpose)
        if refusal is not None and self.authorization is not None:
            self.close_soon(EXPIRED if "expired" in refusal.message else FORBIDDEN, refusal.message)
        return viewer, refusal

    async def _watch_token(self) -> None:
        """Close the socket when the token expires or its client is revoked."""
        assert self.authorization is not None
        try:
            while not self.socket.closed:
                try:
                    principal = await self.validator.authenticate(self.authorization)
                except AuthError as exc:
                    reason = exc.description or "the access token is no longer valid"
                    await self._close(EXPIRED if "expired" in reason else FORBIDDEN, reason)
                    return
                left = principal.expires_at - time.time()
                if left <= 0:
                    await self._close(EXPIRED, "the access token expired")
                    return
                await asyncio.sleep(min(left, self.recheck_seconds))
        except asyncio.CancelledError:
            raise
        except Exception:  # a watch that fails must not keep a socket open unchecked
            log.exception("websocket token watch failed; closing the socket")
            await self._close(FORBIDDEN, "the access token could not be checked")

    def close_soon(self, code: int, reason: str) -> None:
        """Close the socket with ``code`` once the current message is answered."""
        asyncio.get_running_loop().create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        if self.socket.closed:
            return
        with contextlib.suppress(Exception):
            await self.socket.close(code=code, message=reason[:120].encode())

    def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()


def log_operation_failure(error: BaseException) -> None:
    """A websocket operation ended by ``error``: DEBUG if the socket had closed, else ERROR.

    strawberry logs either as ``Exception in worker task`` with the whole traceback,
    message included; a client leaving is routine and a message may hold values."""
    if isinstance(error, WebSocketDisconnected):
        log.debug("websocket closed before an operation's answer was sent")
        return
    log.error(
        "websocket operation failed: unexpected %s\n%s",
        type(error).__name__,
        "".join(traceback.format_tb(error.__traceback__)),
    )


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, logging an operation's end as :func:`log_operation_failure`."""

    async def handle_task_exception(self, error: Exception) -> None:
        log_operation_failure(error)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """The older graphql-ws, whose operation tasks strawberry leaves unwatched: an
    exception ended one silently until the garbage collector logged it as ``Task
    exception was never retrieved``."""

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        try:
            await super().handle_async_results(operation_id, query, operation_name, variables)
        except Exception as error:  # the task's end; no one else would see it
            log_operation_failure(error)


_OPERATION_TYPES = ("subscribe", "start")  # graphql-transport-ws, and the older graphql-ws


def checked_message(message: object) -> object:
    """A websocket message whose shape strawberry can handle without crashing, or
    JSONDecodeError (the socket is then closed with 4400, no traceback)."""
    if not isinstance(message, dict):
        raise json.JSONDecodeError("a message is a JSON object", "", 0)
    if "type" not in message:
        return message  # strawberry answers a message without a type itself (4400)
    if not isinstance(message["type"], str):
        raise json.JSONDecodeError("a message's type is a string", "", 0)
    if "id" in message and not (isinstance(message["id"], str) and len(message["id"]) <= 128):
        raise json.JSONDecodeError("a message id is a string of at most 128 characters", "", 0)
    payload = message.get("payload")
    init = message["type"] == "connection_init"
    if init and payload is not None and not isinstance(payload, dict):
        raise json.JSONDecodeError("connection_init's payload is an object", "", 0)
    if message["type"] in _OPERATION_TYPES:
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            raise json.JSONDecodeError("an operation's payload is an object with a query", "", 0)
        for name, kind in (("variables", dict), ("extensions", dict), ("operationName", str)):
            if payload.get(name) is not None and not isinstance(payload[name], kind):
                raise json.JSONDecodeError(f"an operation's {name} has the wrong type", "", 0)
    return message


def _text(params: dict[str, object], name: str) -> str | None:
    for key, value in params.items():
        if key.lower() == name.lower() and isinstance(value, str):
            return value
    return None
