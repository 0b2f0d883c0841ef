"""How the hub's processes log: one format, and the libraries that must stay quiet.

A serving hub writes JSON lines (python-json-logger), one object per record, for the
city's log collector: ``time``, ``level``, ``logger``, ``process`` (the worker's pid),
``message``, and the fields a
record carries as ``extra``. Each request's access line (:mod:`hub.access_log`)
carries ``request_id``, ``client``, ``operation``, ``outcome``, ``status`` and
``duration_ms``; never the query string, variables, a header or the answer, so no
NIK, name or phone. ``[server] log_format = "text"`` writes the same records as plain
lines; the command line's other commands always do.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError
from pythonjsonlogger.json import JsonFormatter

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "process", "message")  # process: which worker
_RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}
_HANDLER = logging.StreamHandler()  # stderr, as logging.basicConfig's


def json_formatter() -> logging.Formatter:
    """One JSON object per record, ``extra`` fields included."""
    return JsonFormatter(JSON_FIELDS, rename_fields=_RENAMED, json_ensure_ascii=False)


def configure_logging(level: int = logging.INFO, *, log_format: str = "text") -> None:
    """Log at ``level`` as ``log_format`` (``json`` or ``text``), keeping two libraries at
    WARNING whatever it is: pgserver logs every pg_ctl command line at INFO, and authlib
    logs each issued token at DEBUG (``Issue token %r``): a JWT whose claims hold the
    citizen's NIK."""
    root = logging.getLogger()
    if not root.handlers:  # as logging.basicConfig: a host that set up logging keeps its own
        root.addHandler(_HANDLER)
        root.setLevel(level)
    # A second call (the command line, then the serving worker) changes the format.
    _HANDLER.setFormatter(json_formatter() if log_format == "json" else logging.Formatter(FORMAT))
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    logging.getLogger("authlib").setLevel(logging.WARNING)
    quiet_client_errors()


class ClientRequestErrors(logging.Filter):
    """aiohttp's record of a request it could not parse, as one INFO line.

    A header over 8,190 bytes or a malformed request line is answered 400 by aiohttp
    itself, before any handler or middleware, and logged as ``Error handling request``
    at ERROR with a traceback whose message quotes up to 100 bytes of the offending
    line: a header value (a token) or a URL (a NIK in a query string). aiohttp has no
    setting for either (``RequestHandler.handle_error`` logs it, and ``web.Server``
    builds that class itself), so this filter rewrites such records: INFO, the
    exception's class and status, no traceback, nothing the client sent. A genuine
    failure (any other exception) is left as it is. The 400's body still quotes that
    prefix back to its sender, which no setting changes either: a proxy in front
    that refuses oversized headers itself (nginx does) keeps it from the hub."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg = "bad HTTP request from %s: %s (%s)"
            record.args = (_remote(record.args), type(error).__name__, error.code)
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
            if record.levelno > logging.INFO:
                record.levelno, record.levelname = logging.INFO, "INFO"
        return True


_CLIENT_ERRORS = ClientRequestErrors()


def quiet_client_errors() -> None:
    """Install :class:`ClientRequestErrors` on aiohttp's server logger (once)."""
    logging.getLogger("aiohttp.server").addFilter(_CLIENT_ERRORS)  # a no-op the second time


def _remote(args: object) -> object:
    # aiohttp logs "Error handling request from %s" with the peer's address as its one argument.
    return args[0] if isinstance(args, tuple) and len(args) == 1 else "-"
