"""The strawberry schema with its request machinery (the operation pipeline, source report).

The schema is an Apollo Federation v2 subgraph (``_service``, ``_entities``, ``Citizen
@key(fields: "nik")``): see :mod:`schema.entities`.
"""

from __future__ import annotations

from typing import Any

import strawberry
import strawberry.federation
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.federation.schema import FederationAny
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, Info

from schema.entities import FEDERATION_VERSION, resolve_entities
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


class HubSchema(strawberry.federation.Schema):
    async def entities_resolver(  # type: ignore[override]
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        # strawberry's own resolver reads one representation at a time with no access
        # decision; the hub's loads them together, through the gate.
        return await resolve_entities(info, representations)  # type: ignore[return-value]

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
        federation_version=FEDERATION_VERSION,
    )
