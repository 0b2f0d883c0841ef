"""The strawberry schema with its request machinery (caches, limits, source report)."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.query_depth_limiter import create_validator
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.access import AccessPolicy
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


# One rule class for the process. strawberry's QueryDepthLimiter builds a new rule
# class per instance, and built per request (as extensions now are) that makes
# every request miss the validation cache, whose key includes the rules: full
# validation then cost about a fifth of a 100-citizen request.
_DEPTH_RULE = create_validator(MAX_DEPTH, should_ignore=None)


class DepthLimit(AddValidationRules):
    """Refuse operations nested deeper than MAX_DEPTH (validation, so cached)."""

    def __init__(self) -> None:
        super().__init__([_DEPTH_RULE])


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
            DepthLimit,
            AccessPolicy,
            SourcesReport,
        ],
    )
