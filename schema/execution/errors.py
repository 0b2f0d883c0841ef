"""What a client may see of an error, whatever the transport (HTTP or websocket).

Every error leaves with ``extensions.code``. A :class:`~schema.errors.HubError`
(or an error that already carries a code) is shown as it is; a syntax,
validation or variable-coercion error is the client's (``BAD_USER_INPUT``);
anything else is masked as ``INTERNAL`` with the request id, and the log gets
where it happened, never the message (it may quote SQL or a citizen's data).
graphql-core's own messages quote the value that failed ("Int cannot represent
non-integer value: '3671…'"): a long run of digits in them (a NIK, a card, a phone)
is not repeated back.
"""

from __future__ import annotations

import logging
import re
import traceback

from graphql import GraphQLError

from schema.errors import HubError

log = logging.getLogger("citizen_hub.graphql")

# Six digits or more, separators between them allowed: the shortest personal number
# (a phone's subscriber part) is longer than any line or column a message names.
_DIGIT_RUN = re.compile(r"\d[\d .\-]{4,}\d")
ELIDED = "<digits>"


def without_long_numbers(message: str) -> str:
    """``message`` with every run of six digits or more replaced by ``<digits>``."""

    def elide(match: re.Match[str]) -> str:
        run = match.group()
        return ELIDED if sum(c.isdigit() for c in run) >= 6 else run

    return _DIGIT_RUN.sub(elide, message)


def client_error(error: GraphQLError, request_id: str) -> GraphQLError:
    """The error as the client may see it (the same object when it is already safe)."""
    original = error.original_error
    if isinstance(original, HubError) or (error.extensions or {}).get("code"):
        return error
    if original is None or isinstance(original, GraphQLError):
        # Syntax, validation and variable coercion: the client's query is at fault.
        error.extensions = {"code": "BAD_USER_INPUT", **(error.extensions or {})}
        error.message = without_long_numbers(error.message)
        return error
    stack = "".join(traceback.format_tb(original.__traceback__))
    log.error(
        "request %s: unexpected %s at %s\n%s",
        request_id,
        type(original).__name__,
        ".".join(str(p) for p in error.path or ()),
        stack,
    )
    return GraphQLError(
        f"internal error; quote request id {request_id} to the hub operators",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL", "requestId": request_id},
    )


def client_errors(errors: list[GraphQLError] | None, request_id: str) -> list[GraphQLError] | None:
    if not errors:
        return errors
    return [client_error(e, request_id) for e in errors]
