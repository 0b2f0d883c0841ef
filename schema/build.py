"""The strawberry schema with its request machinery (caches, limits, source report)."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.query import Query
from schema.scalars import SCALAR_MAP

MAX_DEPTH = 10
CACHE_SIZE = 512
MAX_TOKENS = 5000


class SourcesReport(SchemaExtension):
    """Adds ``extensions.sources``: per source touched, status, milliseconds, circuit state."""

    def get_results(self) -> dict[str, Any]:
        seen = getattr(self.execution_context.context, "seen", None)
        return {"sources": seen.as_extension() if seen is not None else {}}


class HubSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # strawberry logs every error with its message and stack; messages can carry
        # a NIK. The HTTP view logs unexpected errors itself, masked (hub.graphql).
        return None


def build_schema() -> strawberry.Schema:
    return HubSchema(
        query=Query,
        config=StrawberryConfig(scalar_map=dict(SCALAR_MAP)),
        extensions=[
            # Factories: strawberry builds each extension per request; the parse and
            # validation caches still live at module level, shared across requests.
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: ParserCache(maxsize=CACHE_SIZE),
            lambda: ValidationCache(maxsize=CACHE_SIZE),
            lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
            SourcesReport,
        ],
    )
