"""The hub database's side of citizens signing in to apps (tables of 006_consent.sql).

One module per concept, every name importable from here (``from hub.oauth import store``):

- :mod:`.consents`: citizens' consents to apps; granting, withdrawing.
- :mod:`.grants`: sign-ins into apps and their rotating refresh tokens.
- :mod:`.codes`: authorization codes, used once.
- :mod:`.sessions`: the citizen's session at the hub; sign-ins in flight upstream.
- :mod:`.challenges`: the development sign-in's one-time codes and failure counts.
- :mod:`.rows`: what they share (digests, timestamps, rows to records, inserts).

Codes, refresh tokens, sessions and sign-in challenges are stored as :func:`digest` of
their value. Every function takes ``now`` (seconds since 1970, the caller's clock): what
expires is written and compared on that clock, so tests move time without sleeping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.oauth.store.challenges import (
    Challenge,
    close_challenge,
    count_challenges,
    count_failures,
    create_challenge,
    open_challenge,
    record_failure,
    wrong_code,
)
from hub.oauth.store.codes import CodeProblem, CodeRecord, consume_code, link_code, save_code
from hub.oauth.store.consents import (
    ConsentRecord,
    Withdrawal,
    active_consent,
    consents_of,
    grant_consent,
    withdraw_consent,
)
from hub.oauth.store.grants import (
    GrantRecord,
    RefreshProblem,
    add_refresh_token,
    create_grant,
    find_grant,
    find_refresh_grant,
    revoke_grant,
    revoke_grants_of,
    use_refresh_token,
)
from hub.oauth.store.rows import at, digest, new_id
from hub.oauth.store.sessions import (
    Session,
    UpstreamState,
    create_session,
    end_session,
    find_session,
    save_upstream_state,
    take_upstream_state,
)

if TYPE_CHECKING:
    from hub.oauth.store.rows import Queryable

__all__ = [
    "Challenge",
    "CodeProblem",
    "CodeRecord",
    "ConsentRecord",
    "GrantRecord",
    "RefreshProblem",
    "Session",
    "UpstreamState",
    "Withdrawal",
    "active_consent",
    "add_refresh_token",
    "at",
    "close_challenge",
    "consents_of",
    "consume_code",
    "count_challenges",
    "count_failures",
    "create_challenge",
    "create_grant",
    "create_session",
    "digest",
    "end_session",
    "find_grant",
    "find_refresh_grant",
    "find_session",
    "grant_consent",
    "link_code",
    "new_id",
    "open_challenge",
    "prune",
    "record_failure",
    "revoke_grant",
    "revoke_grants_of",
    "save_code",
    "save_upstream_state",
    "take_upstream_state",
    "use_refresh_token",
    "withdraw_consent",
    "wrong_code",
]


async def prune(conn: Queryable, now: float, keep_seconds: int = 86400) -> None:
    """Delete what can no longer be used, a day after it stopped being usable: codes,
    challenges, failures, sessions, sign-ins in flight, refresh tokens of ended sign-ins.
    Grants and consents stay: the disclosure log may name them."""
    before = at(now - keep_seconds)
    for sql in (
        "DELETE FROM oauth_authorization_codes WHERE expires_at < $1",
        "DELETE FROM oauth_sign_in_challenges WHERE expires_at < $1",
        "DELETE FROM oauth_sign_in_failures WHERE at < $1",
        "DELETE FROM oauth_sessions WHERE expires_at < $1",
        "DELETE FROM oauth_upstream_states WHERE expires_at < $1",
        "DELETE FROM oauth_refresh_tokens t USING oauth_grants g WHERE g.id = t.grant_id"
        " AND (g.expires_at < $1 OR g.revoked_at < $1)",
    ):
        await conn.execute(sql, before)
