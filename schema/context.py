"""The per-request context every resolver gets as ``info.context``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import strawberry

from schema.federation import Federation
from schema.guard import RequestSources, SourceGuard

if TYPE_CHECKING:
    from connectors.base import Source, SourceDB
    from hub.settings import Limits


@dataclass(slots=True)
class Context:
    """Made fresh for each request: its loaders never serve another caller."""

    sources: Mapping[Source, SourceDB]
    guard: SourceGuard
    limits: Limits
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    seen: RequestSources = field(default_factory=RequestSources)
    federation: Federation = field(init=False)

    def __post_init__(self) -> None:
        self.federation = Federation(self.sources, self.guard, self.seen)


Info = strawberry.Info[Context, None]
