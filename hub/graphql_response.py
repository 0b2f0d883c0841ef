"""Which media type a GraphQL answer over HTTP is sent as, and with which status.

The GraphQL-over-HTTP specification has two response media types:

* ``application/json``, what every client understood before it: always 200 for a
  GraphQL answer (errors and all), unless the request itself was refused (a bad token
  401, a missing purpose 403). The hub keeps this exactly for clients that ask for it,
  ask for anything (``*/*``) or send no ``Accept``.
* ``application/graphql-response+json``, for clients that say they understand it: a
  *request error* — a document that does not parse, does not validate, or whose
  variables do not coerce, or an operation the hub refuses before executing it — has
  a 4xx (or 5xx) status and no ``data`` entry, so a gateway or a client can tell
  "nothing ran" from "it ran and a field failed" by the status alone. Once execution
  started the answer is 200 with ``data``, even when ``data`` is null.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from graphql import GraphQLError

GRAPHQL_RESPONSE_JSON: Final = "application/graphql-response+json"
APPLICATION_JSON: Final = "application/json"

# The status of a request error, by the code of its (first) error; any other code,
# BAD_USER_INPUT for parse, validation and coercion failures included, is 400.
_STATUS_BY_CODE: Final = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "INTERNAL": 500,
    "AUDIT_UNAVAILABLE": 503,
}


def response_media_type(accept: str | None) -> str:
    """The media type to answer a request whose ``Accept`` header is ``accept``.

    The most preferred of the two the hub speaks (by ``q``; on a tie, the one the
    client lists first); ``application/json`` when the header is absent, names
    neither, or prefers both equally through a wildcard.

    Written here rather than with python-mimeparse: that library breaks ties by the
    server's order, while the working group's reference server (graphql-http) takes
    the client's first, which urql's ``Accept`` (both types at q=1, the new one
    first) relies on.
    """
    if not accept:
        return APPLICATION_JSON
    best: tuple[float, int, int] | None = None  # (q, specificity, -position)
    chosen = APPLICATION_JSON
    for position, item in enumerate(accept.split(",")):
        media_range, q = _media_range(item)
        if q <= 0:
            continue
        for media_type in (GRAPHQL_RESPONSE_JSON, APPLICATION_JSON):
            specificity = _specificity(media_range, media_type)
            if specificity < 0:
                continue
            rank = (q, specificity, -position)
            # Strictly better only: on a full tie (a wildcard) application/json, listed
            # second, loses to nothing and stays the answer.
            if best is None or rank > best or (rank == best and media_type == APPLICATION_JSON):
                best, chosen = rank, media_type
    return chosen


def _media_range(item: str) -> tuple[str, float]:
    """``"application/json;q=0.9"`` -> ``("application/json", 0.9)``."""
    name, *params = (part.strip() for part in item.split(";"))
    q = 1.0
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                q = 0.0  # an unreadable weight: as if not offered
    return name.lower(), q


def _specificity(media_range: str, media_type: str) -> int:
    """How exactly ``media_range`` names ``media_type``: 2 exactly, 1 ``type/*``, 0
    ``*/*``, -1 not at all."""
    if media_range == media_type:
        return 2
    if media_range == "*/*":
        return 0
    if media_range.endswith("/*") and media_type.startswith(media_range[:-1]):
        return 1
    return -1


def is_request_error(data: object, errors: Sequence[GraphQLError]) -> bool:
    """Whether an answer says that nothing was executed: no data, and no error that
    belongs to a field (a field's error has a ``path``)."""
    return data is None and bool(errors) and all(e.path is None for e in errors)


def request_error_status(errors: Sequence[GraphQLError]) -> tuple[int, dict[str, str]]:
    """The HTTP status (and headers) of a request error answered as
    ``application/graphql-response+json``."""
    extensions = errors[0].extensions or {}
    code = extensions.get("code")
    if code == "LIMIT_EXCEEDED" and "retryAfter" in extensions:
        # A rate or a budget: the same request may pass later.
        return 429, {"Retry-After": str(extensions["retryAfter"])}
    return _STATUS_BY_CODE.get(str(code), 400), {}
