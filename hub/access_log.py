"""The hub's access log: one line per request, with nothing a citizen could be found by.

aiohttp's default access log writes the request line, query string included, and a
``GET /graphql?query=...&variables={"nik":"3671..."}`` puts NIKs there. This one writes
the method, the path without its query string, the status, the bytes sent (headers
included, as aiohttp counts them), the time taken and the request id (the
``X-Request-Id`` the hub answered with), so a log line can be matched with the error a
client quotes; for a GraphQL request also its operation's name, client and outcome as
:mod:`hub.observe` bounded them for the metrics. It never writes the query string, a
header of the request (``Authorization`` least of all) or the client's address; in the
path, runs of ten
digits or more (a NIK, a family card or phone number pasted into the URL by mistake)
are written as ``<digits>``.

Serve with ``web.run_app(app, access_log_class=HubAccessLogger)`` (or
``AppRunner(app, access_log_class=HubAccessLogger)``); see :mod:`hub.workers`.
"""

from __future__ import annotations

import logging
import re
from typing import Final

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from hub.observe import OPERATION_FACTS

REQUEST_ID_HEADER: Final = "X-Request-Id"
MAX_PATH_LENGTH: Final = 200
MAX_REQUEST_ID_LENGTH: Final = 64
_LONG_DIGITS = re.compile(r"\d{10,}")
_UNPRINTABLE = re.compile(r"[^\x21-\x7e]")


class HubAccessLogger(AbstractAccessLogger):
    """``METHOD /path STATUS SIZE DURATION request=<id>``, at INFO on aiohttp.access
    (with `` operation=<name> client=<id> outcome=<outcome>`` for a GraphQL operation).

    The same values are on the log record as ``extra`` (``method``, ``path``, ``status``,
    ``size``, ``duration_ms``, ``request_id``, and ``operation``, ``client``, ``outcome``)
    for structured handlers (the JSON lines of :mod:`hub.logs`).
    """

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        try:
            fields = {
                "method": _printable(request.method, 16),
                "path": logged_path(request.rel_url.raw_path),
                "status": response.status,
                "size": response.body_length,
                "duration_ms": round(time * 1000, 1),
                "request_id": _printable(
                    response.headers.get(REQUEST_ID_HEADER, "-"), MAX_REQUEST_ID_LENGTH
                ),
            }
            message = "%s %s %s %sB %.1fms request=%s"
            values = [fields[k] for k in ("method", "path", "status", "size", "duration_ms")]
            values.append(fields["request_id"])
            facts = request.get(OPERATION_FACTS)
            if facts is not None and facts.operation is not None:
                fields.update(facts.as_log_fields())
                message += " operation=%s client=%s outcome=%s"
                values += [fields["operation"], fields["client"], fields["outcome"]]
            self.logger.info(message, *values, extra=fields)
        except Exception:
            # Never the request itself: its repr would carry the URL.
            self.logger.exception("the access log line of a request could not be written")

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


def logged_path(raw_path: str) -> str:
    """The path as the access log writes it: still percent-encoded, no query string,
    long digit runs masked, unprintable characters as ``?``, cut to a bounded length."""
    path = raw_path.split("?", 1)[0].split("#", 1)[0]
    return _printable(_LONG_DIGITS.sub("<digits>", path), MAX_PATH_LENGTH)


def _printable(text: str, limit: int) -> str:
    """``text`` fit for one log line: visible ASCII only, at most ``limit`` characters."""
    cleaned = _UNPRINTABLE.sub("?", text) or "-"
    return cleaned if len(cleaned) <= limit else cleaned[:limit] + "..."
