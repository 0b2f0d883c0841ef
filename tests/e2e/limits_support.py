"""A hub with limits of the test's choosing, whose statements to every database are
counted, for the tests of limits and trusted documents."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from aiohttp.web import Application

from connectors.base import Source
from hub.app import SOURCES, create_app
from hub.keys import AUDIT_SINK, DOCUMENTS
from hub.settings import Settings
from schema.execution.trusted import DocumentRules
from tests.e2e.conftest import city_settings


class Hub:
    def __init__(self, app: Application, server: TestServer, settings: Settings) -> None:
        self.app = app
        self.base = str(server.make_url("")).rstrip("/")
        self.url = self.base + "/graphql"
        self.settings = settings

    def statements(self) -> int:
        """Statements sent so far to the sources, the hub's store (registered documents
        included) and the disclosure log."""
        sources = self.app[SOURCES]
        counted = [db.statements for db in (*sources.values(), sources.store) if db]
        store = getattr(self.app[DOCUMENTS].store, "statements", 0)
        return sum(counted) + store + self.app[AUDIT_SINK].log.statements

    async def post(self, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any, str]:
        """POST ``body`` (JSON, or bytes as they are): status, decoded JSON or None, text."""
        kwargs: dict[str, Any] = (
            {"data": body, "headers": {"Content-Type": "application/json", **(headers or {})}}
            if isinstance(body, bytes)
            else {"json": body, "headers": headers or {}}
        )
        async with aiohttp.ClientSession() as session, session.post(self.url, **kwargs) as r:
            text = await r.text()
            decoded = None
            with contextlib.suppress(ValueError):
                decoded = await r.json(content_type=None)
            return r.status, decoded, text

    async def ask(
        self, query: str, headers: dict[str, str] | None = None, **variables: Any
    ) -> dict[str, Any]:
        _, body, _ = await self.post({"query": query, "variables": variables}, headers)
        assert isinstance(body, dict), body
        return body


@contextlib.asynccontextmanager
async def limited_hub(
    city_dsns: dict[Source | str, str], graphql: DocumentRules | None = None, **limits: Any
) -> AsyncIterator[Hub]:
    settings = city_settings(city_dsns, **limits)
    if graphql is not None:
        settings = replace(settings, graphql=graphql)
    app = create_app(settings)
    async with TestServer(app, host="127.0.0.1") as server:
        yield Hub(app, server, settings)


def limit_of(body: dict[str, Any]) -> dict[str, Any]:
    """The one error of a refused operation: its extensions, and no data."""
    assert body.get("data") is None, body
    [error] = body["errors"]
    extensions: dict[str, Any] = error["extensions"]
    return extensions
