"""A GraphQL request over HTTP, read and checked before anything recurses into it.

Whatever a client sends to ``/graphql``, the answer to a malformed request is a 400 whose
text names what is wrong, never a 500:

* JSON text is parsed strictly (RFC 8259: UTF-8, no ``NaN`` or ``Infinity``, no trailing
  commas) by orjson, after a linear scan has refused arrays and objects nested deeper than
  :data:`MAX_JSON_DEPTH` levels, so no parser, coercion or logger ever recurses that deep;
* a POST body must be a JSON object (not ``null``, a number, a string or a batch);
* ``query`` and ``operationName`` must be strings, ``variables`` and ``extensions`` JSON
  objects (each may be left out, or null);
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

if TYPE_CHECKING:
    from cross_web import AsyncHTTPRequestAdapter
    from strawberry.http import GraphQLRequestData, GraphQLRequestProtocol

#: Deepest nesting of arrays and objects accepted in any JSON the hub reads from a request.
#: A GraphQL request needs a handful (the body, variables, an input object, a list of them).
MAX_JSON_DEPTH: Final = 64
JSON_CONTENT_TYPE: Final = "application/json"
_FIELDS: Final = ("query", "operationName", "variables", "extensions")

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
    if not isinstance(data, dict):
        batch = (
            " (batches of several operations are not accepted)" if isinstance(data, list) else ""
        )
        raise HTTPException(
            400,
            'the request body must be a JSON object with a query, like {"query": "{ ... }"};'
            f" it is {_kind(data)}{batch}",
        )
    for name in ("query", "operationName"):
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            what = "the GraphQL document" if name == "query" else "an operation of the query"
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
    data: Mapping[str, Any], protocol: GraphQLRequestProtocol = "http"
) -> GraphQLRequestData:
    """Strawberry's request of a checked request object (see :func:`checked_request`)."""
    # Imported here: hub.auth reads tokens with loads() and need not load strawberry.
    from strawberry.http import GraphQLRequestData

    return GraphQLRequestData(
        query=data.get("query"),
        variables=data.get("variables"),
        operation_name=data.get("operationName"),
        extensions=data.get("extensions"),
        protocol=protocol,
    )


async def read_graphql_request(
    request: AsyncHTTPRequestAdapter, protocol: GraphQLRequestProtocol = "http"
) -> GraphQLRequestData:
    """The GraphQL request of a GET (query string) or POST (JSON body) to the view.

    A drop-in for strawberry's ``parse_http_body`` where batching and multipart uploads
    are off: every problem is ``HTTPException(400, <what is wrong>)``.
    """
    if request.method == "GET":
        return graphql_request(request_from_query(request.query_params), protocol)
    media_type = (request.content_type or "").split(";", 1)[0].strip().lower()
    if media_type != JSON_CONTENT_TYPE:
        raise HTTPException(
            400,
            f"send the request as Content-Type: {JSON_CONTENT_TYPE} (or as GET /graphql?query=...)",
        )
    return graphql_request(decode_request_json(await request.get_body()), protocol)


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
