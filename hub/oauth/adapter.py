"""aiohttp ↔ authlib: what a handler read, as authlib's request (:class:`HubRequest`);
authlib's ``(status, body, headers)`` answer, as the hub's response headers; and
:func:`in_thread`, which runs authlib's synchronous calls off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request
from multidict import CIMultiDict

from hub.auth.errors import REALM

#: authlib's answer: status, body, headers (what ``handle_response`` returns).
Answer = tuple[int, Any, list[tuple[str, str]]]


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, lists: Mapping[str, list[str]]) -> None:
        self._lists = {k: list(v) for k, v in lists.items()}
        self._data = {k: v[0] for k, v in self._lists.items() if v}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._lists


class HubRequest(OAuth2Request):  # type: ignore[misc]
    """What an aiohttp handler read, as authlib's request: ``params`` are the OAuth
    parameters (the query of the authorization endpoint, the form of the others)."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        params: Mapping[str, list[str]],
    ) -> None:
        # Case-insensitive, as HTTP header names are (authlib reads "Authorization").
        super().__init__(method, uri, headers=CIMultiDict(headers))
        self.payload = _Payload(params)
        self.purpose: str | None = None

    @property
    def args(self) -> dict[str, str]:
        return dict(self.payload.data)

    @property
    def form(self) -> dict[str, str]:
        return dict(self.payload.data)


def answer_headers(headers: list[tuple[str, str]], status: int, body: Any) -> dict[str, str]:
    """authlib's headers, with the hub's challenge for invalid_client (as client credentials
    answers it) and no-store on every token response."""
    out = {name: value for name, value in headers if name.lower() != "content-type"}
    if isinstance(body, dict) and body.get("error") == "invalid_client" and status == 401:
        out["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    out["Cache-Control"] = "no-store"
    out["Pragma"] = "no-cache"
    return out


async def in_thread(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run an authlib call in a worker thread (its callbacks come back to this loop)."""
    return await asyncio.to_thread(function, *args, **kwargs)
