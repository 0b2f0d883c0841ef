"""A GraphQL request over HTTP, read and checked before anything recurses into it.

Whatever a client sends to ``/graphql``, the answer to a malformed request is a 400 whose
text names what is wrong, never a 500:

* JSON text is parsed strictly (RFC 8259: UTF-8, no ``NaN`` or ``Infinity``, no trailing
  commas) by orjson, after a linear scan has refused arrays and objects nested deeper than
  :data:`MAX_JSON_DEPTH` levels, so no parser, coercion or logger ever recurses that deep;
* a POST body is at most ``[limits] max_body_bytes`` (413 past it, told by its
  Content-Length before it is read) and must be a JSON object (not ``null``, a number,
  a string or a batch: a JSON array of operations is refused whole, see docs/access.md);
* ``query``, ``operationName`` and ``documentId`` must be strings, ``variables`` and
  ``extensions`` JSON objects (each may be left out, or null); the variables, as JSON
  text, are at most ``[limits] max_variables_bytes`` (413);
* a registered document is named by ``documentId`` (``sha256:<hex>``) or Apollo's
  ``extensions.persistedQuery.sha256Hash`` instead of ``query``
  (:mod:`schema.execution.trusted`);
* a GET request carries the same fields as query parameters, each at most once;
  ``variables`` and ``extensions`` are JSON text and checked the same way.

:func:`read_graphql_request` is the whole of it for an aiohttp view (it replaces
strawberry's ``parse_http_body``); :func:`loads` is the depth-bounded JSON decoder alone,
raising :class:`json.JSONDecodeError` as strawberry's WebSocket handlers expect.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from itertools import accumulate
from typing import TYPE_CHECKING, Any, Final

import orjson
from cross_web import HTTPException

from schema.execution.trusted import GRAPHIQL_MARK, GRAPHIQL_PAGE, request_document

if TYPE_CHECKING:
    from cross_web import AsyncHTTPRequestAdapter
    from strawberry.http import GraphQLRequestData, GraphQLRequestProtocol

    from hub.settings import Limits

#: Deepest nesting of arrays and objects accepted in any JSON the hub reads from a request.
#: A GraphQL request needs a handful (the body, variables, an input object, a list of them).
MAX_JSON_DEPTH: Final = 64
JSON_CONTENT_TYPE: Final = "application/json"
_FIELDS: Final = ("query", "operationName", "documentId", "variables", "extensions")
TOO_LARGE: Final = 413

# A JSON string literal, or an unterminated one up to the end: from an opening quote it
# always matches (possessively, without backtracking), so removing strings is linear even
# for input such as '"\"\"\"...' that never closes.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.?)*+(?:"|\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
for _open in b"[{":
    _STEP[_open] = 1
for _close in b"]}":
    _STEP[_close] = -1


class JSONTooDeep(json.JSONDecodeError):
    """JSON text nesting arrays and objects deeper than allowed (refused before parsing)."""

    def __init__(self, limit: int, doc: str) -> None:
        super().__init__(f"arrays and objects nested deeper than {limit} levels", doc, 0)
        self.limit = limit


def json_depth(raw: bytes | str) -> int:
    """How deeply the arrays and objects of JSON text nest (0 for a lone scalar).

    Linear in the length of ``raw`` and without recursion; brackets inside strings do not
    count. Meant for text about to be parsed: on malformed text the answer is a bound the
    parser's own error will supersede.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def loads(raw: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Strictly parsed JSON text, or :class:`json.JSONDecodeError`; never RecursionError.

    Raises :class:`JSONTooDeep` (a JSONDecodeError) when arrays and objects nest deeper
    than ``max_depth``, found by a linear scan before any parsing.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    # At most as deep as it has opening brackets: most requests skip the scan.
    if data.count(b"[") + data.count(b"{") > max_depth and json_depth(data) > max_depth:
        raise JSONTooDeep(max_depth, "")
    try:
        return orjson.loads(raw)
    except RecursionError:  # orjson does not recurse in Python; kept as a last line
        raise JSONTooDeep(max_depth, "") from None


def decode_json_text(raw: bytes | str, what: str) -> Any:
    """JSON text read from a request, or a 400 naming ``what`` (e.g. "the request body")."""
    try:
        return loads(raw)
    except JSONTooDeep as exc:
        raise HTTPException(
            400, f"{what} nests arrays and objects deeper than {exc.limit} levels"
        ) from None
    except json.JSONDecodeError as exc:
        raise HTTPException(400, f"{what} is not valid JSON ({exc.msg})") from None


def decode_request_json(raw: bytes | str) -> dict[str, Any]:
    """The body of a ``POST /graphql``: a JSON object whose fields have their GraphQL types.

    Raises strawberry's ``HTTPException(400, ...)`` naming what is wrong.
    """
    return checked_request(decode_json_text(raw, "the request body"))


def checked_request(data: object) -> dict[str, Any]:
    """``data`` if it is a GraphQL request object whose known fields have their types."""
    if isinstance(data, list):
        # Refused rather than counted as the sum of its parts: each operation gets its
        # own rate count, cost, decision, disclosure record and request id, which one
        # response cannot carry; separate requests on one connection cost little more.
        raise HTTPException(
            400,
            f"a batch (a JSON array of {len(data)} operations) is not accepted: send each"
            ' operation in a request of its own, as a JSON object like {"query": "{ ... }"}',
        )
    if not isinstance(data, dict):
        raise HTTPException(
            400,
            'the request body must be a JSON object with a query, like {"query": "{ ... }"};'
            f" it is {_kind(data)}",
        )
    for name in ("query", "operationName", "documentId"):
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            what = {
                "query": "the GraphQL document",
                "operationName": "an operation of the query",
                "documentId": 'a registered document\'s id, "sha256:<hex>"',
            }[name]
            raise HTTPException(400, f"{name} must be a string ({what}); it is {_kind(value)}")
    for name in ("variables", "extensions"):
        value = data.get(name)
        if value is not None and not isinstance(value, dict):
            raise HTTPException(
                400, f'{name} must be a JSON object, like {{"name": value}}; it is {_kind(value)}'
            )
    return data


def request_from_query(params: Mapping[str, Any]) -> dict[str, Any]:
    """The GraphQL request of a ``GET /graphql?query=...`` (an aiohttp MultiDict or a dict).

    ``variables`` and ``extensions`` are JSON text; each field may be given once only (a
    proxy and the hub must not read different values of a repeated one).
    """
    data: dict[str, Any] = {}
    for name in _FIELDS:
        values = _all_values(params, name)
        if len(values) > 1:
            raise HTTPException(400, f"the {name} parameter is given {len(values)} times")
        if not values or values[0] is None:
            continue
        value = values[0]
        if not isinstance(value, str):
            raise HTTPException(400, f"the {name} parameter must be text")
        if name in ("variables", "extensions"):
            if value.strip() == "":
                continue  # an empty form field: as if left out
            data[name] = decode_json_text(value, f"the {name} parameter")
        else:
            data[name] = value
    return checked_request(data)


def graphql_request(
    data: Mapping[str, Any],
    protocol: GraphQLRequestProtocol = "http",
    limits: Limits | None = None,
) -> GraphQLRequestData:
    """Strawberry's request of a checked request object (see :func:`checked_request`);
    a registered document's id becomes a :class:`~schema.execution.trusted.DocumentRef`
    in place of the query."""
    # Imported here: hub.auth reads tokens with loads() and need not load strawberry.
    from strawberry.http import GraphQLRequestData

    variables = data.get("variables")
    if limits is not None and variables:
        size = len(orjson.dumps(variables))
        if size > limits.max_variables_bytes:
            raise HTTPException(
                TOO_LARGE,
                f"the variables are {size} bytes of JSON; the limit is"
                f" {limits.max_variables_bytes} ([limits] max_variables_bytes)",
            )
    try:
        query = request_document(data.get("query"), data.get("extensions"), data.get("documentId"))
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return GraphQLRequestData(
        query=query,
        variables=variables,
        operation_name=data.get("operationName"),
        extensions=data.get("extensions"),
        protocol=protocol,
    )


async def read_graphql_request(
    request: AsyncHTTPRequestAdapter,
    limits: Limits | None = None,
    protocol: GraphQLRequestProtocol = "http",
) -> GraphQLRequestData:
    """The GraphQL request of a GET (query string) or POST (JSON body) to the view.

    A drop-in for strawberry's ``parse_http_body`` where batching and multipart uploads
    are off: every problem is ``HTTPException(400, <what is wrong>)``, or 413 past a
    size in ``limits``.
    """
    if request.method == "GET":
        return graphql_request(request_from_query(request.query_params), protocol, limits)
    media_type = (request.content_type or "").split(";", 1)[0].strip().lower()
    if media_type != JSON_CONTENT_TYPE:
        raise HTTPException(
            400,
            f"send the request as Content-Type: {JSON_CONTENT_TYPE} (or as GET /graphql?query=...)",
        )
    cap = limits.max_body_bytes if limits is not None else None
    declared = _content_length(request)
    if cap is not None and declared is not None and declared > cap:
        raise HTTPException(TOO_LARGE, _too_large(declared, cap))
    body = await request.get_body()
    if cap is not None and len(body) > cap:
        raise HTTPException(TOO_LARGE, _too_large(len(body), cap))
    return graphql_request(decode_request_json(body), protocol, limits)


def _content_length(request: AsyncHTTPRequestAdapter) -> int | None:
    value = getattr(request, "headers", {}).get("Content-Length")
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _too_large(size: int, cap: int) -> str:
    return (
        f"the request body is {size} bytes; the limit is {cap} ([limits] max_body_bytes):"
        " send the variables and the document, not data"
    )


def document_message(message: object) -> object:
    """A websocket message whose operation names a registered document (``documentId``
    or ``extensions.persistedQuery``) with the id where its query would be; anything
    malformed about the id is JSONDecodeError (the socket closes with 4400)."""
    if not isinstance(message, dict) or message.get("type") not in ("subscribe", "start"):
        return message
    payload = message.get("payload")
    if not isinstance(payload, dict):
        return message
    query = payload.get("query")
    extensions = payload.get("extensions")
    named = payload.get("documentId")
    if named is None and not isinstance(extensions, dict):
        return message
    if query is not None and not isinstance(query, str):
        return message  # checked_message says what is wrong
    try:
        found = request_document(query, extensions if isinstance(extensions, dict) else None, named)
    except ValueError as exc:
        raise json.JSONDecodeError(str(exc), "", 0) from None
    if found is not None:
        payload["query"] = found
    return message


def names_document(params: Mapping[str, Any]) -> bool:
    """Whether GET parameters name a registered document rather than ask for GraphiQL."""
    return bool(params.get("documentId") or params.get("extensions"))


def from_graphiql(headers: Mapping[str, str]) -> bool:
    """Whether a request says it comes from the hub's own GraphiQL page."""
    return headers.get(GRAPHIQL_MARK) == GRAPHIQL_PAGE


def _all_values(params: Mapping[str, Any], name: str) -> list[Any]:
    getall = getattr(params, "getall", None)
    if getall is not None:
        return list(getall(name, []))
    value = params.get(name)
    if value is None and name not in params:
        return []
    return list(value) if isinstance(value, list) else [value]


def _kind(value: object) -> str:
    """What a decoded JSON value is, in the words of JSON."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
