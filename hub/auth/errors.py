"""Errors of the hub's OAuth pieces::

Exception
├── AuthError               a request's bearer token is missing or unusable (resource server)
│                           .status 401 (400 for a malformed header, 503 when keys are unreachable)
├── TokenRequestError       a /oauth/token request is refused (RFC 6749 §5.2)
└── AuthAdminError          an operator command cannot be done (unknown client, bad purpose...)
    └── KeyStoreError       the signing keys cannot be generated, read or unsealed
"""

from __future__ import annotations

import re
from typing import Final

REALM: Final = "citizen-hub"
# RFC 6749 §5.2 / RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E only.
_NOT_ALLOWED = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


def safe_description(text: str, limit: int = 200) -> str:
    """``text`` with the characters a quoted header value may not hold replaced by ``?``."""
    return _NOT_ALLOWED.sub("?", text)[:limit]


def shown(value: object, limit: int = 60) -> str:
    """A value taken from an untrusted token, cut short for an error description."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."


class AuthError(Exception):
    """The bearer token of a request is missing or cannot be accepted (RFC 6750 §3).

    ``error`` is None when the request carried no credentials at all (RFC 6750 §3.1
    says to send no error code then), else ``invalid_request`` or ``invalid_token``
    (or ``temporarily_unavailable`` with status 503). ``www_authenticate`` is the exact
    header value to send; ``body`` the JSON body.
    """

    def __init__(self, status: int, error: str | None, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = safe_description(description)

    @classmethod
    def missing(cls) -> AuthError:
        return cls(401, None, "send 'Authorization: Bearer <access token>'")

    @classmethod
    def invalid_request(cls, description: str) -> AuthError:
        return cls(400, "invalid_request", description)

    @classmethod
    def invalid_token(cls, description: str) -> AuthError:
        return cls(401, "invalid_token", description)

    @classmethod
    def unavailable(cls, description: str) -> AuthError:
        return cls(503, "temporarily_unavailable", description)

    @property
    def www_authenticate(self) -> str:
        if self.error is None or self.status == 503:
            return f'Bearer realm="{REALM}"'
        return (
            f'Bearer realm="{REALM}", error="{self.error}", error_description="{self.description}"'
        )

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": self.www_authenticate, "Cache-Control": "no-store"}

    @property
    def body(self) -> dict[str, str]:
        return {"error": self.error or "unauthorized", "error_description": self.description}


class TokenRequestError(Exception):
    """A token request refused with an RFC 6749 §5.2 error code.

    ``invalid_client`` answers 401 with ``WWW-Authenticate: Basic``; the others 400.
    """

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = safe_description(description)

    @property
    def status(self) -> int:
        return 401 if self.error == "invalid_client" else 400

    @property
    def headers(self) -> dict[str, str]:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if self.error == "invalid_client":
            headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
        return headers

    @property
    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class AuthAdminError(Exception):
    """An operator command on clients, purposes or keys cannot be done; the message says why."""


class KeyStoreError(AuthAdminError):
    """The hub's signing keys cannot be generated, read or unsealed."""
