"""The disclosure log as a citizen reads it (UU 27/2022: the data subject's trail)."""

from __future__ import annotations

from datetime import datetime

import strawberry


@strawberry.type(description="One disclosure of this citizen's data: who, when, why, what.")
class Disclosure:
    at: datetime = strawberry.field(description="when the answer was sent")
    client_id: str | None = strawberry.field(description="the partner or app that asked")
    purpose: str | None = strawberry.field(description="the purpose it declared")
    request_id: str = strawberry.field(description="to quote when asking the hub about it")
    sources: list[str] = strawberry.field(description="the products the data came from")
    fields: list[str] = strawberry.field(description="the fields shown")
