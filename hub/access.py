"""From a validated token to a Viewer: the declared purpose and the scopes it allows.

A partner declares a registered purpose with each request (the ``X-Purpose``
header, or the token's ``purpose`` claim); the effective scopes are the token's
scopes within those the purpose allows for that client. A citizen token acts
for its own NIK under the fixed purpose ``SELF_SERVICE``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.audit import Disclosure, DisclosureLog, DisclosureRequest
from hub.auth.clients import Client, get_client
from schema.access import Disclosed, Refusal
from schema.policy import Viewer

if TYPE_CHECKING:
    import asyncpg

    from hub.auth import Principal

PURPOSE_HEADER = "X-Purpose"
SELF_SERVICE = "SELF_SERVICE"
CLIENT_CACHE_SECONDS = 10.0


def forbidden(message: str, **extensions: str) -> Refusal:
    return Refusal("FORBIDDEN", message, status=403, extensions=extensions)


@dataclass(slots=True)
class ClientRegistry:
    """Registered clients and their purposes, read from the hub database, cached briefly.

    The cache keeps a client lookup off most requests; a revoked client is already
    refused by the token validator's own (equally brief) revocation check.
    """

    pool: asyncpg.Pool
    _cache: dict[str, tuple[float, Client | None]]

    @classmethod
    def over(cls, pool: asyncpg.Pool) -> ClientRegistry:
        return cls(pool, {})

    async def get(self, client_id: str) -> Client | None:
        now = time.monotonic()
        cached = self._cache.get(client_id)
        if cached is not None and now - cached[0] < CLIENT_CACHE_SECONDS:
            return cached[1]
        client = await get_client(self.pool, client_id)
        self._cache[client_id] = (now, client)
        return client


async def viewer_for(
    principal: Principal, declared: str | None, clients: ClientRegistry
) -> tuple[Viewer | None, Refusal | None]:
    """The viewer a principal acts as under the purpose it declares, or why it may not."""
    if principal.nik is not None:
        return (
            Viewer(
                scopes=frozenset(principal.scopes),
                client_id=principal.client_id,
                subject=principal.subject,
                nik=principal.nik,
                purpose=SELF_SERVICE,
            ),
            None,
        )
    claimed = principal.purpose
    if declared and claimed and declared != claimed:
        return None, forbidden(
            f"the {PURPOSE_HEADER} header ({declared}) differs from the token's purpose"
            f" ({claimed})",
            reason="purpose_mismatch",
        )
    purpose = declared or claimed
    if not purpose:
        return None, forbidden(
            f"declare the purpose of this request: a registered purpose code in the"
            f" {PURPOSE_HEADER} header or the token's purpose claim",
            reason="purpose_missing",
        )
    client = await clients.get(principal.client_id) if principal.client_id else None
    if client is None or purpose not in client.purposes:
        return None, forbidden(
            f"purpose {purpose} is not registered for this client", reason="purpose_unknown"
        )
    return (
        Viewer(
            scopes=frozenset(principal.scopes) & client.purposes[purpose],
            client_id=principal.client_id,
            subject=principal.subject,
            purpose=purpose,
        ),
        None,
    )


@dataclass(slots=True)
class AuditSink:
    """The schema's DisclosureSink over hub.audit's log."""

    log: DisclosureLog

    async def record(
        self, request_id: str, viewer: Viewer, disclosed: Mapping[str, Disclosed]
    ) -> None:
        await self.log.record(
            DisclosureRequest(
                request_id=request_id,
                client_id=viewer.client_id,
                subject=viewer.subject,
                purpose=viewer.purpose,
                disclosures=[
                    Disclosure(nik=nik, sources=sorted(d.sources), fields=sorted(d.fields))
                    for nik, d in disclosed.items()
                ],
            )
        )

    async def access_log(self, niks: Sequence[str], last: int) -> dict[str, list[Any]]:
        entries: dict[str, list[Any]] = await self.log.access_log(niks, last)
        return entries
