"""Who is calling: what a validated access token says."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller behind a validated access token.

    ``nik`` is set for a citizen's own token (claim ``nik``) and None for a partner;
    ``purpose`` is the token's ``purpose`` claim, if the client asked for one.
    ``grant_id`` (claim ``sid``) names the citizen's sign-in into an app that bought the
    token (hub.oauth): its consent, its refresh tokens; None for other tokens.
    ``consent_id`` (claim ``consent_id``) names the citizen's consent that token was
    bought under (None for a first-party app and for other tokens): the disclosure log
    may record it.
    Never log ``nik`` in clear; ``subject``, ``token_id`` and ``grant_id`` are safe to log.
    """

    issuer: str
    subject: str
    client_id: str
    scopes: frozenset[str]
    nik: str | None
    purpose: str | None
    token_id: str
    expires_at: int
    grant_id: str | None = None
    consent_id: str | None = None
