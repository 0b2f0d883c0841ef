"""Every operation, over HTTP or a websocket, passes here in this order:

1. **scope**: a fresh context for the operation (its own request id, loaders and
   disclosures), the token checked again on long-lived connections;
2. **refuse**: a bad token, a missing purpose — before any parsing;
3. **limit**: the request rate of the caller (per subject for citizens, per
   client for partners, per address for anonymous callers) — before parsing;
4. **parse** (cached, at most ``MAX_TOKENS`` tokens; a registered document named by
   its id is looked up instead, and text refused from a caller bound to registered
   documents, :mod:`schema.execution.trusted`) and **measure**: depth, fields with
   fragments expanded, root fields, aliases, introspection (one ``__schema``, no more
   than the standard introspection query) and the cost (:mod:`schema.execution.cost`)
   of every operation and fragment in the document, run or not, in one pass linear
   in the document (:func:`~schema.execution.document.measure`); past a ceiling the
   operation is refused before validation or any other pass expands it;
5. **validate** (cached; without "Did you mean" suggestions when introspection is
   off), then spend the document's cost from the caller's budget per minute — still
   before any SQL;
6. **decide** on the values execution will use (:mod:`schema.execution.policy`):
   the anonymous rule, the batch cap on the NIKs named, scopes and purpose,
   citizen relations; the denied fields are pruned, and the gate
   (:mod:`schema.execution.gate`) that every loader asks is set; a denied root
   field refuses a write or a subscription whole, and a query when the field is
   non-null (its answer would be ``data: null``), before anything runs;
7. **execute**;
8. **apply** the denials (null and FORBIDDEN where a denied field would answer);
9. **charge** every citizen the answer contains to the caller's distinct-NIK
   budget, and **record** them in the disclosure log — before the answer leaves;
   if either fails, no citizen data leaves;
10. **mask** errors (:mod:`schema.execution.errors`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from graphql import DocumentNode, ExecutionResult, GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from schema.errors import BadUserInput, HubError, LimitExceeded
from schema.execution import compiled, gate
from schema.execution.admission import (
    admit_document,
    introspection_off,
    over_websocket,
    too_large,
)
from schema.execution.document import root_names, walk_coerced
from schema.execution.errors import client_error, client_errors
from schema.execution.parsing import (
    MAX_CACHED_QUERY,
    MAX_TOKENS,
    parsed,
    validated,
    validated_cached,
)
from schema.execution.policy import Decision, anonymous_may_run, needs_relations, niks_by_root
from schema.execution.recording import charge_and_record
from schema.execution.reuse import decide_once

if TYPE_CHECKING:
    from schema.context import Context
    from schema.execution.ports import Refusal

log = logging.getLogger(__name__)


# What runs instead of a refused operation's own document: parsing and validating
# it costs nothing, and execution never starts (the pipeline answers first).
_REFUSED_DOCUMENT = parse("{ __typename }")


class OperationPipeline(SchemaExtension):
    """One operation from its document to its recorded answer: see the module docstring."""

    context: Context
    refusal: HubError | Refusal | RefusedWith | None = None
    decision: Decision | None = None
    cost: int = 0
    # The document the walk read and its variables as graphql-core coerced them: the
    # compiled path reads them when it answers that same document.
    coerced: tuple[DocumentNode, Any] | None = None

    async def on_operation(self) -> AsyncIterator[None]:
        execution = self.execution_context
        connection: Context = execution.context
        if connection.reauthenticate is not None:
            # A websocket lives longer than its token: each operation checks it again.
            connection.viewer, connection.refusal = await connection.reauthenticate()
        context = connection.for_operation()
        execution.context = self.context = context
        execution.parse_options["max_tokens"] = MAX_TOKENS
        if context.refusal is not None:
            self._refuse(context.refusal)
        elif context.limiter is not None:
            try:
                await context.limiter.check_request(_limit_key(context))
            except LimitExceeded as exc:
                self._refuse(exc)
        if self.refusal is None:
            try:
                await admit_document(execution, context)
            except HubError as exc:
                self._refuse(exc)
        yield

    def on_parse(self) -> Iterator[None]:
        execution = self.execution_context
        if execution.graphql_document is None and execution.query:
            # On a syntax error strawberry parses again and answers with the error.
            with contextlib.suppress(GraphQLError):
                execution.graphql_document = parsed(execution.query)
        yield
        for error in execution.pre_execution_errors or ():
            if "tokens. Parsing aborted" in error.message:
                error.extensions = {
                    "code": "LIMIT_EXCEEDED",
                    "limit": "tokens",
                    "maximum": MAX_TOKENS,
                    "value": MAX_TOKENS,
                }
            client_error(error, self.context.request_id)

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        document = execution.graphql_document
        if self.refusal is None and document is not None:
            self.cost, problem = too_large(document, execution.schema._schema, self.context)
            if problem is not None:
                self._refuse(problem)
        rules = tuple(execution.validation_rules)
        schema = execution.schema._schema
        document = execution.graphql_document
        hide = introspection_off(self.context)
        if document is _REFUSED_DOCUMENT or not execution.query or document is None:
            errors = validated(schema, _REFUSED_DOCUMENT, rules, hide)
        elif len(execution.query) > MAX_CACHED_QUERY:
            errors = validated(schema, document, rules, hide)  # parsed once, not cached
        else:
            errors = validated_cached(schema, execution.query, rules, hide)
        execution.pre_execution_errors = list(errors)
        yield
        for error in execution.pre_execution_errors or ():
            client_error(error, self.context.request_id)

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = self.context
        # Before a refusal swaps the document: strawberry has already chosen the path.
        try:
            subscription = execution.operation_type is OperationType.SUBSCRIPTION
        except RuntimeError:  # refused: its stand-in lacks the operation the request named
            subscription = False
        if self.refusal is None:
            try:
                over_websocket(subscription, context)
                await self._spend()
                await self._decide()
            except HubError as exc:
                self._refuse(exc)
        if self.refusal is not None:
            refused = _refused(self.refusal)
            if subscription and context.transport is not None:
                # strawberry subscribes whatever the result says; an error raised here
                # is what it answers instead.
                if _unauthenticated(self.refusal):
                    context.close_socket(4401, "a valid access token is required")
                raise (refused.errors or [GraphQLError("refused")])[0]
            execution.result = refused
            yield
            return
        document = execution.graphql_document
        if compiled.enabled and not subscription and document is not None:
            # Citizens over the hub's own types: answered here, graphql-core skipped.
            walked = self.coerced
            execution.result = await compiled.answer(
                execution.schema._schema,
                document,
                execution.operation_name,
                execution.variables,
                context,
                walked[1] if walked is not None and walked[0] is document else None,
            )
        yield
        result = execution.result
        if not isinstance(result, ExecutionResult):
            return
        errors = list(result.errors or [])
        if self.decision is not None and self.decision.denials:
            result.data = self.decision.apply(result.data, errors)
        if result.data is None and execution.operation_type is OperationType.QUERY:
            # A read that answers no data (a non-null field's error reached the root)
            # showed no one: nothing to charge or record. A write's null answer may
            # follow a committed write, which stays on record.
            result.errors = client_errors(errors, context.request_id) or None
            return
        try:
            await charge_and_record(context)
        except HubError as exc:
            # No citizen data leaves unless it is charged and on record.
            result.data = None
            result.errors = [GraphQLError(str(exc), extensions=exc.extensions)]
            return
        result.errors = client_errors(errors, context.request_id) or None

    async def _spend(self) -> None:
        """Spend the operation's cost from the caller's budget per minute."""
        context = self.context
        if context.limiter is not None and self.cost > 0:
            await context.limiter.charge_cost(_limit_key(context), self.cost)

    async def _decide(self) -> None:
        """Walk the operation as it will execute, decide, and set the loaders' gate."""
        execution = self.execution_context
        context = self.context
        document = execution.graphql_document
        if document is None:
            return
        viewer = context.viewer
        if viewer is None and not anonymous_may_run(root_names(document, execution.operation_name)):
            # Before the variables are even coerced: an anonymous caller gets no work done.
            self._refuse(context.unauthenticated("a bearer access token is required"))
            return
        visits, shape, variables = walk_coerced(
            execution.schema._schema,
            document,
            execution.operation_name,
            execution.variables,
            hide_suggestions=introspection_off(context),
        )
        if variables is not None:
            self.coerced = (document, variables)
        if visits and isinstance(visits[0], GraphQLError):
            # A variable or an argument that does not coerce: the whole operation is
            # refused, never executed in part without its decision.
            self.refusal = RefusedWith(visits)
            execution.graphql_document = _REFUSED_DOCUMENT
            return
        for visit in visits:
            if not visit.arguments:  # type: ignore[union-attr]
                continue  # most fields take none: nothing to look into
            where = _nul_in(visit.arguments)  # type: ignore[union-attr]
            if where is not None:
                # PostgreSQL refuses NUL in text; let through, it would count as the
                # source failing and open its circuit for every caller.
                raise BadUserInput(
                    f"{visit.name}({where}): text may not contain the NUL character",  # type: ignore[union-attr]
                    rule="nul_character",
                    field=where,
                )
        if viewer is None:
            return  # the gate stays closed: no citizen is built for an anonymous caller
        by_root = niks_by_root(visits)  # type: ignore[arg-type]
        named = [nik for niks in by_root.values() for nik in niks]
        limit = context.limits.max_citizens
        if len(named) > limit:
            # Every NIK counts, repeated or not: a NIK named ten thousand times is ten
            # thousand citizens to build and answer.
            raise LimitExceeded(
                f"an operation may name at most {limit} NIKs (citizen, citizens,"
                " _entities representations and identityReviewQueue(nik:), every alias and"
                " every repetition counted),"
                f" this one names {len(named)}",
                limit="batch_size",
                maximum=limit,
                value=limit,
                figure=len(named),
            )
        federation = context.federation
        federation.named = by_root  # _entities loads these, its representations read once
        # A citizen's relations cost a SIAK statement: read only when a root field
        # may build, name or act for a citizen (not to withdraw a consent).
        relations, own_card = (
            await federation.relate(viewer) if needs_relations(visits) else ({}, None)  # type: ignore[arg-type]
        )
        caller = federation.caller
        self.decision = decide_once(
            viewer,
            visits,  # type: ignore[arg-type]
            document,
            shape,
            relations,
            own_card,
            open_id=lambda given: federation.ids.open(given, caller),
        )
        execution.graphql_document = self.decision.document
        context.acting_for.update(self.decision.acting_for)
        kind = execution.operation_type
        # Writes and subscriptions are all or nothing: a denied root field refuses the
        # whole operation before anything is written (a write beside a denied alias would
        # otherwise commit and be hidden by the nulled answer). A query whose denied root
        # field is non-null would answer ``data: null`` whatever ran beside it: refused
        # before it runs, so nothing beside it is read, disclosed or charged.
        denied = next(
            (
                d
                for d in self.decision.denials
                if len(d.path) == 1 and (kind is not OperationType.QUERY or d.non_null)
            ),
            None,
        )
        if denied is not None:
            if kind is OperationType.SUBSCRIPTION:
                context.close_socket(4403, "subscription forbidden")
            raise _as_hub_error(denied.message, denied.extensions)
        if kind is OperationType.MUTATION and context.limiter is not None:
            # The citizens written for are charged before the write: a budget spent
            # afterwards would leave a committed write that may not be shown or logged.
            targets = sorted({n for n in self.decision.acting_for.values() if n})
            if targets:
                await context.limiter.charge_niks(viewer.limit_key, targets)
        federation.gate = gate.for_citizen(relations) if viewer.is_citizen else gate.OPEN

    def _refuse(self, refusal: HubError | Refusal) -> None:
        """Refuse the operation: nothing more is parsed, validated or executed."""
        self.refusal = refusal
        self.execution_context.graphql_document = _REFUSED_DOCUMENT
        if not isinstance(refusal, HubError):
            self.context.refuse(refusal)


def _limit_key(context: Context) -> str:
    """Whose budgets an operation spends: the viewer's, or an anonymous caller's address."""
    return context.viewer.limit_key if context.viewer else f"address:{context.peer}"


def _nul_in(value: Any, path: str = "") -> str | None:
    """The argument path of the first string holding NUL, if any."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items: Any = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        found = _nul_in(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def _as_hub_error(message: str, extensions: dict[str, Any]) -> HubError:
    """A denial's error, kept as it is (FORBIDDEN, or BAD_USER_INPUT for forCitizen)."""
    error = HubError(message)
    error.extensions = dict(extensions)
    return error


def _unauthenticated(refusal: HubError | Refusal | RefusedWith) -> bool:
    return getattr(refusal, "code", None) == "UNAUTHENTICATED"


class RefusedWith:
    """An operation refused with errors graphql-core itself produced (coercion)."""

    def __init__(self, errors: list[GraphQLError]) -> None:
        self.errors = errors


def _refused(refusal: HubError | Refusal | RefusedWith) -> ExecutionResult:
    if isinstance(refusal, RefusedWith):
        return ExecutionResult(data=None, errors=refusal.errors)
    if isinstance(refusal, HubError):
        return ExecutionResult(
            data=None, errors=[GraphQLError(str(refusal), extensions=refusal.extensions)]
        )
    extensions = {"code": refusal.code, **dict(refusal.extensions)}
    return ExecutionResult(data=None, errors=[GraphQLError(refusal.message, extensions=extensions)])
