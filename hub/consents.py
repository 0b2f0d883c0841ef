"""The hub's side of the graph's :class:`~schema.execution.ports.Consents` port: citizens'
consents to apps, as hub.oauth's store keeps them (``me { consents }``,
``revokeConsent``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from hub.auth.clients import get_client
from hub.auth.tokens import CLI_CLIENT_ID
from hub.oauth import store
from hub.oauth.texts import scope_words

if TYPE_CHECKING:
    from connectors.base import SourceDB


class HubConsents:
    """Consents in the hub's own database (``store``: its :class:`SourceDB`)."""

    def __init__(self, hub: SourceDB) -> None:
        self._hub = hub

    async def sees_every_app(self, client_id: str | None) -> bool:
        if client_id in (None, CLI_CLIENT_ID):
            return True  # ``citizen-hub token --citizen``
        client = await get_client(self._hub.pool, client_id)
        return client is not None and client.first_party

    async def in_force(
        self, subject: str, now: float, *, client_id: str | None
    ) -> Sequence[store.ConsentRecord]:
        return await store.consents_of(self._hub.pool, subject, now, client_id=client_id)

    async def withdraw(self, subject: str, client_id: str, now: float) -> tuple[int, int]:
        async with self._hub.pool.acquire() as conn:
            done = await store.withdraw_consent(conn, subject, client_id, now)
        return done.consents, done.grants

    def scope_words(self, scope: str, lang: Literal["id", "en"]) -> str:
        return scope_words(scope, lang)
