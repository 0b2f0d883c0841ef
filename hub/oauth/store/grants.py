"""Citizens' sign-ins into apps (``oauth_grants``) and their rotating refresh tokens
(``oauth_refresh_tokens``, kept as digests): creating, using, finding and revoking them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from hub.oauth.store.rows import at, digest, fetch_record, insert, new_id, record

if TYPE_CHECKING:
    import asyncpg

    from hub.migrate import Connection
    from hub.oauth.store.rows import Queryable


@dataclass(frozen=True, slots=True)
class GrantRecord:
    id: str
    client_id: str
    subject: str
    nik: str
    scopes: frozenset[str]
    purpose: str
    consent_id: str | None
    expires_at: datetime
    revoked_at: datetime | None


async def create_grant(
    conn: Connection,
    *,
    client_id: str,
    subject: str,
    nik: str,
    scopes: Iterable[str],
    purpose: str,
    consent_id: str | None,
    now: float,
    seconds: int,
) -> str:
    """A new sign-in; it ends after ``seconds``, or with its consent if that ends first."""
    grant_id = new_id()
    expires = at(now + seconds)
    if consent_id is not None:
        consent_end = await conn.fetchval(
            "SELECT expires_at FROM oauth_consents WHERE id = $1", consent_id
        )
        if consent_end is not None:
            expires = min(expires, consent_end)
    await insert(
        conn,
        "oauth_grants",
        id=grant_id,
        client_id=client_id,
        subject=subject,
        nik=nik,
        scopes=sorted(scopes),
        purpose=purpose,
        consent_id=consent_id,
        created_at=at(now),
        expires_at=expires,
    )
    return grant_id


async def add_refresh_token(conn: Connection, grant_id: str, token: str, now: float) -> None:
    await insert(
        conn,
        "oauth_refresh_tokens",
        token_hash=digest(token),
        grant_id=grant_id,
        created_at=at(now),
    )


async def revoke_grant(conn: Queryable, grant_id: str, now: float, reason: str) -> bool:
    done = await conn.fetchval(
        "UPDATE oauth_grants SET revoked_at = $2, revoked_reason = $3"
        " WHERE id = $1 AND revoked_at IS NULL RETURNING id",
        grant_id,
        at(now),
        reason,
    )
    return done is not None


async def revoke_grants_of(
    conn: Connection, subject: str, client_id: str, now: float, reason: str
) -> int:
    rows = await conn.fetch(
        "UPDATE oauth_grants SET revoked_at = $3, revoked_reason = $4"
        " WHERE subject = $1 AND client_id = $2 AND revoked_at IS NULL RETURNING id",
        subject,
        client_id,
        at(now),
        reason,
    )
    return len(rows)


class RefreshProblem(Exception):
    """Why a refresh token buys nothing; the message is the error_description."""


async def use_refresh_token(
    pool: asyncpg.Pool, token: str, client_id: str, now: float
) -> GrantRecord:
    """Rotate: mark the refresh token used and return its (standing) grant.

    A token used before is a replay: one of two parties holds a stolen copy, so the whole
    grant is revoked (RFC 9700 §4.14.2) and both must sign in again.
    """
    problem: str | None = None
    # The transaction commits what it did (a replay's revocation) before the refusal.
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT t.used_at, g.* FROM oauth_refresh_tokens t"
            " JOIN oauth_grants g ON g.id = t.grant_id WHERE t.token_hash = $1"
            " FOR UPDATE OF t, g",
            digest(token),
        )
        if row is None or row["client_id"] != client_id:
            raise RefreshProblem("the refresh token is not one this hub issued to this client")
        grant = record(GrantRecord, row)
        if grant.revoked_at is not None:
            problem = "the refresh token's sign-in was revoked; sign in again"
        elif row["used_at"] is not None:
            await revoke_grant(conn, grant.id, now, "refresh token replayed")
            problem = (
                "the refresh token was already used: every token of this sign-in is now"
                " revoked; sign in again"
            )
        elif grant.expires_at <= at(now):
            problem = "the sign-in expired; sign in again"
        else:
            await conn.execute(
                "UPDATE oauth_refresh_tokens SET used_at = $2 WHERE token_hash = $1",
                digest(token),
                at(now),
            )
    if problem is not None:
        raise RefreshProblem(problem)
    return grant


async def find_refresh_grant(conn: Queryable, token: str) -> GrantRecord | None:
    return await fetch_record(
        conn,
        GrantRecord,
        "SELECT g.* FROM oauth_refresh_tokens t JOIN oauth_grants g ON g.id = t.grant_id"
        " WHERE t.token_hash = $1",
        digest(token),
    )


async def find_grant(conn: Queryable, grant_id: str) -> GrantRecord | None:
    return await fetch_record(
        conn, GrantRecord, "SELECT * FROM oauth_grants WHERE id = $1", grant_id
    )
