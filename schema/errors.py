"""Errors a client can act on, each with ``extensions.code``.

::

    HubError                       code           extensions
    ├── BadUserInput               BAD_USER_INPUT rule
    ├── LimitExceeded              LIMIT_EXCEEDED limit, maximum, retryAfter (seconds; rate, budget)
    ├── AuditUnavailable           AUDIT_UNAVAILABLE    (the disclosure log cannot be written)
    ├── Forbidden                  FORBIDDEN      scope, or reason
    └── SourceError                               source
        ├── SourceUnavailable      SOURCE_UNAVAILABLE   (refused, failed, circuit open)
        └── SourceTimeout          SOURCE_TIMEOUT

Anything else raised during execution is masked as ``INTERNAL`` by
:func:`hub.graphql._client_error`: the client sees a request id, the
log has the stack, and neither has SQL or personal data.
"""

from __future__ import annotations

from typing import Any

from connectors.base import Source, Store


class HubError(Exception):
    """An error whose message and extensions are safe to show to the client."""

    code = "INTERNAL"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.extensions: dict[str, Any] = {"code": self.code, **extensions}


class BadUserInput(HubError):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, rule: str, **extensions: Any) -> None:
        super().__init__(message, rule=rule, **extensions)


class LimitExceeded(HubError):
    """A limit was reached; ``retryAfter`` says in how many seconds a retry may pass."""

    code = "LIMIT_EXCEEDED"

    def __init__(self, message: str, *, retry_after: int | None = None, **extensions: Any) -> None:
        if retry_after is not None:
            extensions["retryAfter"] = retry_after
        super().__init__(message, **extensions)


class Forbidden(HubError):
    """This viewer may not see this; ``scope`` or ``reason`` says why."""

    code = "FORBIDDEN"


class AuditUnavailable(HubError):
    """The disclosure log cannot be written (or read), so no citizen data is returned."""

    code = "AUDIT_UNAVAILABLE"


class SourceError(HubError):
    """A product database could not answer; ``extensions.source`` names it."""

    code = "SOURCE_UNAVAILABLE"

    def __init__(self, source: Source | Store, reason: str) -> None:
        super().__init__(
            f"{source.name} did not answer ({reason}); its fields are null",
            source=source.name,
        )
        self.source = source


class SourceUnavailable(SourceError):
    code = "SOURCE_UNAVAILABLE"


class SourceTimeout(SourceError):
    code = "SOURCE_TIMEOUT"
