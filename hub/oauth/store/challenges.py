"""The development sign-in's one-time codes (``oauth_sign_in_challenges``, the code kept
as a digest bound to its challenge) and the failure counts that limit guessing
(``oauth_sign_in_failures``, per citizen pseudonym and per keyed address)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.oauth.store.rows import at, digest, fetch_record, insert

if TYPE_CHECKING:
    from hub.oauth.store.rows import Queryable


@dataclass(frozen=True, slots=True)
class Challenge:
    id_hash: bytes
    subject: str
    nik: str
    code_hash: bytes
    attempts: int


async def create_challenge(
    conn: Queryable,
    subject: str,
    nik: str,
    code: str,
    now: float,
    seconds: int,
) -> str:
    """A one-time code awaiting its citizen; returns the challenge's id (a form field)."""
    value = secrets.token_urlsafe(24)
    await insert(
        conn,
        "oauth_sign_in_challenges",
        id_hash=digest(value),
        subject=subject,
        nik=nik,
        code_hash=digest(value + ":" + code),
        created_at=at(now),
        expires_at=at(now + seconds),
    )
    return value


async def open_challenge(
    conn: Queryable, value: str, now: float, max_attempts: int
) -> Challenge | None:
    return await fetch_record(
        conn,
        Challenge,
        "SELECT id_hash, subject, nik, code_hash, attempts FROM oauth_sign_in_challenges"
        " WHERE id_hash = $1 AND used_at IS NULL AND expires_at > $2 AND attempts < $3",
        digest(value),
        at(now),
        max_attempts,
    )


async def count_challenges(conn: Queryable, subject: str, since: float) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM oauth_sign_in_challenges WHERE subject = $1 AND created_at > $2",
        subject,
        at(since),
    )
    return count


async def wrong_code(conn: Queryable, id_hash: bytes) -> int:
    """Count one wrong code; returns the attempts made so far."""
    attempts: int = await conn.fetchval(
        "UPDATE oauth_sign_in_challenges SET attempts = attempts + 1 WHERE id_hash = $1"
        " RETURNING attempts",
        id_hash,
    )
    return attempts


async def close_challenge(conn: Queryable, id_hash: bytes, now: float) -> bool:
    """Use the challenge; False if it was used meanwhile (two tabs, one code)."""
    done = await conn.fetchval(
        "UPDATE oauth_sign_in_challenges SET used_at = $2 WHERE id_hash = $1"
        " AND used_at IS NULL RETURNING 1",
        id_hash,
        at(now),
    )
    return done is not None


async def record_failure(conn: Queryable, keys: Iterable[str], now: float) -> None:
    await conn.executemany(
        "INSERT INTO oauth_sign_in_failures (key, at) VALUES ($1, $2)",
        [(key, at(now)) for key in keys],
    )


async def count_failures(conn: Queryable, key: str, since: float) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM oauth_sign_in_failures WHERE key = $1 AND at > $2",
        key,
        at(since),
    )
    return count
