"""Errors a client can act on, each with ``extensions.code``.

::

    HubError                       code           extensions
    ├── BadUserInput               BAD_USER_INPUT rule
    ├── LimitExceeded              LIMIT_EXCEEDED limit, maximum
    └── SourceError                               source
        ├── SourceUnavailable      SOURCE_UNAVAILABLE   (refused, failed, circuit open)
        └── SourceTimeout          SOURCE_TIMEOUT

Anything else raised during execution is masked as ``INTERNAL`` by
:class:`schema.extensions.MaskInternalErrors`: the client sees a request id, the
log has the stack, and neither has SQL or personal data.
"""

from __future__ import annotations

from typing import Any

from connectors.base import Source


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
    code = "LIMIT_EXCEEDED"


class SourceError(HubError):
    """A product database could not answer; ``extensions.source`` names it."""

    code = "SOURCE_UNAVAILABLE"

    def __init__(self, source: Source, reason: str) -> None:
        super().__init__(
            f"{source.name} did not answer ({reason}); its fields are null",
            source=source.name,
        )
        self.source = source


class SourceUnavailable(SourceError):
    code = "SOURCE_UNAVAILABLE"


class SourceTimeout(SourceError):
    code = "SOURCE_TIMEOUT"
