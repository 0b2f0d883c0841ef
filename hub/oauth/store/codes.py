"""Authorization codes (``oauth_authorization_codes``, kept as digests): saved when the
citizen allows, used once at the token endpoint, linked to the sign-in they started."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.oauth.store.grants import revoke_grant
from hub.oauth.store.rows import at, digest, insert, record

if TYPE_CHECKING:
    import asyncpg

    from hub.oauth.store.rows import Queryable


@dataclass(frozen=True, slots=True)
class CodeRecord:
    code_hash: bytes
    client_id: str
    redirect_uri: str | None
    code_challenge: str
    code_challenge_method: str
    subject: str
    nik: str
    scopes: frozenset[str]
    purpose: str
    consent_id: str | None


async def save_code(
    conn: Queryable,
    code: str,
    *,
    client_id: str,
    redirect_uri: str | None,
    code_challenge: str,
    code_challenge_method: str,
    subject: str,
    nik: str,
    scopes: Iterable[str],
    purpose: str,
    consent_id: str | None,
    now: float,
    seconds: int,
) -> None:
    await insert(
        conn,
        "oauth_authorization_codes",
        code_hash=digest(code),
        client_id=client_id,
        redirect_uri=redirect_uri,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        subject=subject,
        nik=nik,
        scopes=sorted(scopes),
        purpose=purpose,
        consent_id=consent_id,
        created_at=at(now),
        expires_at=at(now + seconds),
    )


class CodeProblem(Exception):
    """Why a code buys nothing; the message is the error_description."""


async def consume_code(pool: asyncpg.Pool, code: str, client_id: str, now: float) -> CodeRecord:
    """Mark the code used (whatever happens next: a code is tried once) and return it.

    A code used before revokes the sign-in its first use started (RFC 6749 §4.1.2).
    """
    problem: str | None = None
    # The transaction commits what it did (the code used, a replay's revocation) before
    # the refusal.
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT * FROM oauth_authorization_codes WHERE code_hash = $1 FOR UPDATE",
            digest(code),
        )
        if row is None or row["client_id"] != client_id:
            raise CodeProblem("the code is not one this hub issued to this client")
        if row["used_at"] is not None:
            if row["grant_id"] is not None:
                await revoke_grant(conn, row["grant_id"], now, "authorization code replayed")
            problem = "the code was already used; the tokens issued for it are revoked"
        else:
            await conn.execute(
                "UPDATE oauth_authorization_codes SET used_at = $2 WHERE code_hash = $1",
                row["code_hash"],
                at(now),
            )
            if row["expires_at"] <= at(now):
                problem = "the code expired; exchange a code as soon as it arrives"
    if problem is not None:
        raise CodeProblem(problem)
    return record(CodeRecord, row)


async def link_code(conn: Queryable, code_hash: bytes, grant_id: str) -> None:
    await conn.execute(
        "UPDATE oauth_authorization_codes SET grant_id = $2 WHERE code_hash = $1",
        code_hash,
        grant_id,
    )
