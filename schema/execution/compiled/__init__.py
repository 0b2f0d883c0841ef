"""The compiled path: an operation on citizens answered without graphql-core's per-field work.

``citizen(nik:)``, ``me`` or ``citizens(niks:)`` over the hub's own types is loaded by the
federation as always (one statement per source per level, the gate, masking and
disclosures unchanged), then completed by walking the compiled selection over the
loaded objects (:mod:`.walk`) instead of graphql-core resolving field by field. The
pipeline sets the answer before execution, so denials, charging, the disclosure log
and error masking run on it exactly as on graphql-core's. Everything else, and every
operation :mod:`.plan` declines, is graphql-core's to answer: it stays the reference
(tests/e2e/test_compiled_path.py compares the two on random selections).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cachetools import LRUCache
from graphql import (
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    get_operation_ast,
)
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.pyutils import Path

from schema.errors import HubError
from schema.execution.compiled.plan import Compiled, compile_operation
from schema.execution.compiled.walk import Walk
from schema.selection import Plan

if TYPE_CHECKING:
    from graphql import DocumentNode, GraphQLSchema

    from schema.context import Context

#: Off: every operation goes to graphql-core (the reference the tests compare with).
enabled = True

# Compiled operations by document (kept alive beside its plan, so its id stays its
# own), operation name and the boolean variables @include/@skip may read.
_CACHE: LRUCache[tuple[int, str | None, tuple[tuple[str, bool], ...]], Any] = LRUCache(256)


def compiled_for(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    operation_name: str | None,
    variables: dict[str, Any],
) -> Compiled | None:
    """``operation`` (of ``document``, named ``operation_name``) compiled, or None where
    graphql-core must answer it; compiled once per document and @include/@skip flags."""
    flags = tuple(sorted((k, v) for k, v in variables.items() if isinstance(v, bool)))
    key = (id(document), operation_name, flags)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] is document:
        compiled: Compiled | None = cached[1]
        return compiled
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    compiled = compile_operation(schema, operation, fragments, variables)
    _CACHE[key] = (document, compiled)
    return compiled


async def answer(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    inputs: dict[str, Any] | None,
    context: Context,
    coerced: Any = None,
) -> ExecutionResult | None:
    """The operation's result, or None when graphql-core must answer it. ``coerced``:
    the variables as graphql-core already coerced them for this document and
    operation (the pipeline's walk did), not coerced again."""
    operation = get_operation_ast(document, operation_name)
    if not isinstance(operation, OperationDefinitionNode):
        return None
    if coerced is None:
        coerced = get_variable_values(schema, operation.variable_definitions or (), inputs or {})
        if isinstance(coerced, list):
            return None  # graphql-core reports the variables' errors
    compiled = compiled_for(schema, document, operation, operation_name, coerced.coerced)
    if compiled is None:
        return None
    root = compiled.root
    walk = Walk()
    path = Path(None, root.key, root.parent.name)
    data: dict[str, Any] | None = {}
    try:
        try:
            value = await _load(compiled, coerced, context)
            completed = walk.complete(root, root.type, path, value)
        except Exception as raw:
            completed = walk.failed(root, root.type, path, raw)
        data = {root.key: completed}
    except GraphQLError as error:
        walk.errors.add(error, None)
        data = None
    return ExecutionResult(data=data, errors=walk.errors.errors or None)


async def _load(compiled: Compiled, variables: Any, context: Context) -> Any:
    """What Query.citizen / Query.me / Query.citizens resolve to, through the same
    federation (and its per-request reads)."""
    root = compiled.root
    arguments = get_argument_values(root.parent.fields[root.name], root.nodes[0], variables)
    plan = Plan(root.nodes, compiled.fragments, variables.coerced)
    federation = context.federation
    if root.name == "citizens":
        return await federation.citizens(list(arguments["niks"]), plan)
    if root.name == "me":
        viewer = context.viewer
        if viewer is None or viewer.nik is None:
            return None
        nik = viewer.nik
    else:
        nik = arguments["nik"]
    found = (await federation.citizens([nik], plan))[0]
    if isinstance(found, HubError):
        raise found
    return found
