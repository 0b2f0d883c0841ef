"""The per-request context every resolver gets as ``info.context``."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import strawberry

from schema.access import Refusal
from schema.federation import Federation
from schema.guard import RequestSources, SourceGuard

if TYPE_CHECKING:
    from connectors.base import Source, SourceDB
    from hub.settings import Limits
    from schema.access import DisclosureSink, Limiter
    from schema.policy import Viewer

REALM = "citizen-hub"


@dataclass(slots=True)
class Context:
    """Made fresh for each request: its loaders never serve another caller.

    ``viewer`` is who asks (None: anonymous); ``refusal`` says why the request is
    refused before anything runs (a bad token, a missing purpose); ``on_refuse``
    lets the HTTP adapter turn a refusal into a status and headers.
    """

    sources: Mapping[Source, SourceDB]
    guard: SourceGuard
    limits: Limits
    viewer: Viewer | None = None
    refusal: Refusal | None = None
    audit: DisclosureSink | None = None
    limiter: Limiter | None = None
    on_refuse: Callable[[Refusal], None] | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    seen: RequestSources = field(default_factory=RequestSources)
    federation: Federation = field(init=False)

    def __post_init__(self) -> None:
        self.federation = Federation(self.sources, self.guard, self.seen, self.viewer, self.audit)

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
