"""What an operation must pass before any SQL runs, besides the caller's rate: its
document (registered, or text this caller may send), its variables' size, its
figures (depth, root fields, fields, aliases, cost) and introspection.

The pipeline (:mod:`schema.execution.pipeline`) calls :func:`admit_document` before
parsing and :func:`too_large` right after; both answer with the refusal, never
with SQL: a registered document is looked up in the hub's store only on a cache miss.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import orjson
from cachetools import LRUCache
from graphql import DocumentNode, GraphQLSchema, get_introspection_query, parse

from schema.errors import BadUserInput, Forbidden, HubError, LimitExceeded
from schema.execution.cost import CostModel
from schema.execution.document import Measure, measure
from schema.execution.parsing import MAX_CACHED_QUERY
from schema.execution.trusted import GRAPHIQL_MARK, GRAPHIQL_PAGE, DocumentRef

if TYPE_CHECKING:
    from strawberry.types import ExecutionContext

    from schema.context import Context
    from schema.execution.ports import Limits

MAX_DEPTH = 10
MAX_FIELDS = 500  # GraphiQL's introspection query has about 220
MAX_ROOT_FIELDS = 25

# A document's figures depend only on the document and the cost model, and a known
# document comes back as the same object from the parse cache (or the registered
# documents' store): its figures are kept beside it, by identity, the objects kept
# alive in the entry so their ids stay their own. Only a document a cache can hand
# back (its text at most MAX_CACHED_QUERY long) is kept; a longer one is parsed afresh
# each time.
_MEASURED: LRUCache[tuple[int, int], tuple[DocumentNode, CostModel, Measure | None]] = LRUCache(512)


async def admit_document(execution: ExecutionContext, context: Context) -> None:
    """Swap a registered document's id for its text and parsed document, or check that
    this caller may send text; refuse variables past their cap. Raises HubError."""
    variables = execution.variables
    cap = context.limits.max_variables_bytes
    size = len(orjson.dumps(variables)) if variables else 0
    if size > cap:
        raise LimitExceeded(
            f"the variables are {size} bytes of JSON; the limit is {cap}",
            limit="variables_bytes",
            maximum=cap,
            value=cap,
            figure=size,
        )
    documents = context.documents
    query = execution.query
    if isinstance(query, DocumentRef):
        if documents is None:
            raise BadUserInput(
                "this hub has no registered documents: send the query text",
                rule="PERSISTED_QUERY_NOT_FOUND",
            )
        registered = await documents.resolve(query.digest)
        execution.query = registered.text
        execution.graphql_document = registered.document
    elif query and documents is not None:
        documents.check_text(context.viewer, graphiql=from_graphiql(context))


def too_large(
    document: DocumentNode, schema: GraphQLSchema, context: Context
) -> tuple[int, HubError | None]:
    """The document's cost (every operation in it), and the first limit it passes
    (None: within them all), measured in one walk."""
    limits = context.limits
    model = cost_model(schema, limits.max_citizens, limits.family_size)
    try:
        figures = measured(document, model)
    except RecursionError:
        return 0, LimitExceeded(
            "the document nests too deeply to be read",
            limit="depth",
            maximum=MAX_DEPTH,
            value=MAX_DEPTH,
        )
    if figures is None:
        return 0, None
    if figures.introspection and introspection_off(context):
        return figures.cost, Forbidden(
            "introspection (__schema, __type, _service) is switched off on this hub;"
            " __typename still answers; the SDL is the checked-in schema.graphql",
            reason="introspection_disabled",
        )
    if figures.schemas > 1:
        return figures.cost, LimitExceeded(
            f"an operation may select __schema once; this one selects it {figures.schemas}"
            " times (fragments expanded)",
            limit="introspection",
            maximum=1,
            value=1,
            figure=min(figures.schemas, 2**53),
        )
    allowance = introspection_allowance(model)
    if figures.schema_size > allowance:
        shown = f"{figures.schema_size}" if figures.schema_size < 10**9 else "more than a billion"
        return figures.cost, LimitExceeded(
            f"the document's introspection may answer {shown} values, more than the"
            f" {allowance} of the standard introspection query on this schema; ask for"
            " the schema once (or read schema.graphql) and follow the types by name",
            limit="introspection_size",
            maximum=allowance,
            value=allowance,
            figure=min(figures.schema_size, 2**53),
        )
    return figures.cost, over_limit(figures, limits)


def over_limit(figures: Measure, limits: Limits) -> LimitExceeded | None:
    """The first limit the figures pass: its name, its value and the operation's figure."""
    for name, value, maximum in (
        ("depth", figures.depth, MAX_DEPTH),
        ("root_fields", figures.root_fields, MAX_ROOT_FIELDS),
        ("fields", figures.fields, MAX_FIELDS),
        ("aliases", figures.aliases, limits.max_aliases),
        ("cost", figures.cost, limits.max_cost),
    ):
        if value > maximum:
            shown = f"{value}" if value < 10**9 else "more than a billion"
            what = "cost in source reads" if name == "cost" else name.replace("_", " ")
            return LimitExceeded(
                f"the operation's {what} ({shown}, fragments expanded) exceeds"
                f" the limit of {maximum}",
                limit=name,
                maximum=maximum,
                value=maximum,
                figure=min(value, 2**53),  # JSON numbers stay exact
            )
    return None


def measured(document: DocumentNode, model: CostModel) -> Measure | None:
    """:func:`~schema.execution.document.measure`, once per document object and cost
    model. Raises RecursionError for absurdly nested input (never kept)."""
    key = (id(document), id(model))
    cached = _MEASURED.get(key)
    if cached is not None and cached[0] is document and cached[1] is model:
        return cached[2]
    figures = measure(document, model)
    loc = document.loc
    if loc is not None and len(loc.source.body) <= MAX_CACHED_QUERY:
        _MEASURED[key] = (document, model, figures)
    return figures


@functools.lru_cache(maxsize=8)
def introspection_allowance(model: CostModel) -> int:
    """The introspection figure of the fullest standard introspection query (every
    option on, as GraphiQL and code generators send it) on this schema: what a client
    needs to read the schema whole; a document asking more repeats or nests it."""
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
        one_of=True,
    )
    figures = measure(parse(query), model)
    return figures.schema_size if figures is not None else 0


@functools.lru_cache(maxsize=8)
def cost_model(schema: GraphQLSchema, max_citizens: int, family_size: int) -> CostModel:
    return CostModel(schema, max_citizens=max_citizens, family_size=family_size)


def introspection_off(context: Context) -> bool:
    """Whether this hub keeps introspection off (``[graphql] introspection = false``):
    introspection is refused, and validation names no field in its suggestions."""
    documents = context.documents
    return documents is not None and not documents.rules.introspection


def from_graphiql(context: Context) -> bool:
    """Whether the operation says it comes from the hub's own GraphiQL page."""
    if context.from_graphiql:
        return True
    params = context.connection_params or {}
    return any(k.lower() == GRAPHIQL_MARK.lower() and v == GRAPHIQL_PAGE for k, v in params.items())


def over_websocket(subscription: bool, context: Context) -> None:
    """Refuse a subscription that did not come over the websocket. Raises BadUserInput.

    Over HTTP graphql-core would run it as a query and fail on the stream its root
    field answers; the hub streams no HTTP response (no SSE, no ``multipart/mixed``),
    so the operation is refused before it is charged, decided or run.
    """
    if subscription and context.transport is None:
        raise BadUserInput(
            "subscriptions run over the websocket only: open /graphql as a websocket"
            " with the graphql-transport-ws protocol; over HTTP send queries and mutations",
            rule="subscription_over_http",
        )
