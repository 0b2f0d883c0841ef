"""The per-operation context every resolver gets as ``info.context``."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import strawberry

from schema.execution.commands import Commands, IdempotencyStores
from schema.execution.live import Live
from schema.execution.ports import Refusal, Viewer
from schema.execution.recording import charge_and_record
from schema.federation import Federation
from schema.guard import RequestSources, SourceGuard

if TYPE_CHECKING:
    from connectors.antrian.feed import TicketFeed
    from connectors.base import Source, SourceDB
    from identity.opaque import CitizenIds
    from schema.execution.ports import Consents, DisclosureSink, Limiter, Limits
    from schema.execution.trusted import TrustedDocuments

REALM = "citizen-hub"

Authenticate = Callable[[], Awaitable[tuple[Viewer | None, Refusal | None]]]


@dataclass(slots=True)
class Context:
    """What one operation runs with; its loaders never serve another operation.

    A transport makes one per connection (HTTP: per request; websocket: per
    socket) and the pipeline takes a fresh copy for each operation
    (:meth:`for_operation`), so every operation on a socket has its own request
    id, loaders and disclosures.

    ``viewer`` is who asks (None: anonymous); ``refusal`` says why the request is
    refused before anything runs (a bad token, a missing purpose); ``on_refuse``
    lets the HTTP adapter turn a refusal into a status and headers; ``peer`` is
    the caller's address (anonymous callers are rate-limited by it);
    ``reauthenticate``, set by long-lived transports, checks the token again
    before each operation (expiry, revocation). What the graph needs of the hub
    (``audit``, ``limiter``, ``limits``, ``consents``, ``idempotency``) comes in
    through the ports of :mod:`schema.execution.ports`: ``schema/`` imports no
    ``hub/`` module.
    """

    sources: Mapping[Source, SourceDB]
    guard: SourceGuard
    limits: Limits
    viewer: Viewer | None = None
    refusal: Refusal | None = None
    audit: DisclosureSink | None = None
    limiter: Limiter | None = None
    ids: CitizenIds | None = None
    on_refuse: Callable[[Refusal], None] | None = None
    peer: str | None = None
    reauthenticate: Authenticate | None = None
    idempotency: IdempotencyStores | None = None
    feed: TicketFeed | None = None
    transport: object | None = None  # the transport's own state (hub.websocket.SocketSession)
    connection_params: dict[str, object] | None = None  # a websocket's connection_init payload
    documents: TrustedDocuments | None = None  # registered documents and the [graphql] rules
    consents: Consents | None = None  # citizens' consents to apps (the hub's OAuth store)
    from_graphiql: bool = False  # the request says it comes from the hub's GraphiQL page
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    seen: RequestSources = field(default_factory=RequestSources)
    federation: Federation = field(init=False)
    commands: Commands = field(init=False)
    live: Live = field(init=False)
    acting_for: dict[str, str | None] = field(default_factory=dict, init=False)
    operations: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.federation = Federation(
            self.sources, self.guard, self.seen, self.viewer, self.audit, self.ids
        )
        self.commands = Commands(self.federation, self.idempotency, self.acting_for)
        self.live = Live(
            self.federation,
            self.feed,
            lambda: charge_and_record(self),
            self.close_socket,
            self.commands.may_act_for,
        )

    def close_socket(self, code: int, reason: str) -> None:
        """On a websocket, close it (4401, 4403) once this message is answered."""
        close_soon = getattr(self.transport, "close_soon", None)
        if close_soon is not None:
            close_soon(code, reason)

    def for_operation(self) -> Context:
        """A fresh context for the next operation of this connection.

        The first keeps the connection's request id (an HTTP response already
        carries it in ``X-Request-Id``); later ones get their own.
        """
        self.operations += 1
        request_id = self.request_id if self.operations == 1 else uuid.uuid4().hex
        return replace(self, request_id=request_id, seen=RequestSources())

    def unauthenticated(self, reason: str) -> Refusal:
        """A 401 refusal with the RFC 6750 challenge (no error code: no token came)."""
        challenge = f'Bearer realm="{REALM}"'
        return Refusal(
            "UNAUTHENTICATED", reason, status=401, headers={"WWW-Authenticate": challenge}
        )

    def refuse(self, refusal: Refusal) -> None:
        if self.on_refuse is not None:
            self.on_refuse(refusal)


Info = strawberry.Info[Context, None]
