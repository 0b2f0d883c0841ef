"""The strawberry schema with its request machinery (the operation pipeline, source report)."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.execution.pipeline import OperationPipeline
from schema.mutation import Mutation
from schema.query import Query
from schema.scalars import SCALAR_MAP
from schema.subscription import Subscription


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
        # a NIK. The pipeline logs unexpected errors itself, masked
        # (schema.execution.errors).
        return None


def build_schema() -> strawberry.Schema:
    return HubSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(scalar_map=dict(SCALAR_MAP)),
        # Classes: strawberry builds each extension per operation. The pipeline
        # parses, measures, validates (both cached), decides, executes and records.
        extensions=[OperationPipeline, SourcesReport],
    )
