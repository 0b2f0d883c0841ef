"""Who is calling: what a validated access token says."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller behind a validated access token.

    ``nik`` is set for a citizen's own token (claim ``nik``) and None for a partner;
    ``purpose`` is the token's ``purpose`` claim, if the client asked for one.
    Never log ``nik`` in clear; ``subject`` and ``token_id`` are safe to log.
    """

    issuer: str
    subject: str
    client_id: str
    scopes: frozenset[str]
    nik: str | None
    purpose: str | None
    token_id: str
    expires_at: int
