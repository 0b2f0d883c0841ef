"""The hub database's side of citizens signing in to apps (tables of 006_consent.sql).

Codes, refresh tokens, sessions and sign-in challenges are stored as :func:`digest` of
their value. Every function takes ``now`` (seconds since 1970, the caller's clock): what
expires is written and compared on that clock, so tests move time without sleeping.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncpg

    from hub.migrate import Connection


def digest(value: str) -> bytes:
    """SHA-256 of a token's value: what the tables keep instead of the value."""
    return hashlib.sha256(value.encode("utf-8")).digest()


def new_id() -> str:
    return secrets.token_urlsafe(18)


def at(now: float) -> datetime:
    return datetime.fromtimestamp(now, UTC)


# --- consents -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    id: str
    subject: str
    client_id: str
    client_name: str
    purpose: str
    purpose_description: str
    scopes: frozenset[str]
    granted_at: datetime
    expires_at: datetime


_CONSENT_SELECT = """
SELECT s.id, s.subject, s.client_id, c.name AS client_name, s.purpose,
       p.description AS purpose_description, s.scopes, s.granted_at, s.expires_at
  FROM oauth_consents s
  JOIN oauth_clients c USING (client_id)
  JOIN oauth_purposes p ON p.code = s.purpose
 WHERE s.withdrawn_at IS NULL AND s.replaced_by IS NULL
"""


def _consent(row: asyncpg.Record) -> ConsentRecord:
    return ConsentRecord(
        id=row["id"],
        subject=row["subject"],
        client_id=row["client_id"],
        client_name=row["client_name"],
        purpose=row["purpose"],
        purpose_description=row["purpose_description"],
        scopes=frozenset(row["scopes"]),
        granted_at=row["granted_at"],
        expires_at=row["expires_at"],
    )


async def active_consent(
    conn: Connection | asyncpg.Pool, subject: str, client_id: str, purpose: str, now: float
) -> ConsentRecord | None:
    row = await conn.fetchrow(
        _CONSENT_SELECT
        + " AND s.subject = $1 AND s.client_id = $2 AND s.purpose = $3 AND s.expires_at > $4",
        subject,
        client_id,
        purpose,
        at(now),
    )
    return None if row is None else _consent(row)


async def consents_of(
    conn: Connection | asyncpg.Pool, subject: str, now: float, client_id: str | None = None
) -> list[ConsentRecord]:
    """The citizen's consents in force, newest first (only ``client_id``'s if given)."""
    sql = _CONSENT_SELECT + " AND s.subject = $1 AND s.expires_at > $2"
    args: list[object] = [subject, at(now)]
    if client_id is not None:
        sql += " AND s.client_id = $3"
        args.append(client_id)
    rows = await conn.fetch(sql + " ORDER BY s.granted_at DESC, s.id", *args)
    return [_consent(r) for r in rows]


async def grant_consent(
    conn: Connection,
    subject: str,
    client_id: str,
    purpose: str,
    asked: Iterable[str],
    granted: Iterable[str],
    now: float,
    days: int,
) -> str:
    """Record the citizen's decision; returns the consent's id.

    The new consent holds what was granted now, and whatever an earlier consent in force
    granted that was not asked this time; the earlier one is ``replaced_by`` the new one.
    """
    asked_set, granted_set = frozenset(asked), frozenset(granted)
    async with conn.transaction():
        previous = await conn.fetchrow(
            "SELECT id, scopes FROM oauth_consents WHERE subject = $1 AND client_id = $2"
            " AND purpose = $3 AND withdrawn_at IS NULL AND replaced_by IS NULL"
            " AND expires_at > $4 FOR UPDATE",
            subject,
            client_id,
            purpose,
            at(now),
        )
        kept = frozenset(previous["scopes"]) - asked_set if previous is not None else frozenset()
        consent_id = new_id()
        if previous is not None:
            # The unique index allows one consent in force: end the old one first.
            await conn.execute(
                "UPDATE oauth_consents SET withdrawn_at = $2 WHERE id = $1",
                previous["id"],
                at(now),
            )
        else:
            # An expired one still counts for the unique index until it is ended.
            await conn.execute(
                "UPDATE oauth_consents SET withdrawn_at = $4 WHERE subject = $1"
                " AND client_id = $2 AND purpose = $3 AND withdrawn_at IS NULL"
                " AND replaced_by IS NULL",
                subject,
                client_id,
                purpose,
                at(now),
            )
        await conn.execute(
            "INSERT INTO oauth_consents"
            " (id, subject, client_id, purpose, scopes, granted_at, expires_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            consent_id,
            subject,
            client_id,
            purpose,
            sorted(granted_set | kept),
            at(now),
            at(now + days * 86400),
        )
        if previous is not None:
            await conn.execute(
                "UPDATE oauth_consents SET withdrawn_at = NULL, replaced_by = $2 WHERE id = $1",
                previous["id"],
                consent_id,
            )
    return consent_id


@dataclass(frozen=True, slots=True)
class Withdrawal:
    consents: int
    grants: int


async def withdraw_consent(
    conn: Connection, subject: str, client_id: str, now: float
) -> Withdrawal:
    """End the citizen's consents to ``client_id`` and revoke its sign-ins at once: its
    refresh tokens stop working now, its access tokens within the revocation cache."""
    async with conn.transaction():
        consents = await conn.fetch(
            "UPDATE oauth_consents SET withdrawn_at = $3 WHERE subject = $1 AND client_id = $2"
            " AND withdrawn_at IS NULL AND replaced_by IS NULL RETURNING id",
            subject,
            client_id,
            at(now),
        )
        grants = await revoke_grants_of(conn, subject, client_id, now, "consent withdrawn")
    return Withdrawal(len(consents), grants)


# --- grants (sign-ins into an app) and refresh tokens -----------------------------------


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


def _grant(row: asyncpg.Record) -> GrantRecord:
    return GrantRecord(
        id=row["id"],
        client_id=row["client_id"],
        subject=row["subject"],
        nik=row["nik"],
        scopes=frozenset(row["scopes"]),
        purpose=row["purpose"],
        consent_id=row["consent_id"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )


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
    await conn.execute(
        "INSERT INTO oauth_grants (id, client_id, subject, nik, scopes, purpose, consent_id,"
        " created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        grant_id,
        client_id,
        subject,
        nik,
        sorted(scopes),
        purpose,
        consent_id,
        at(now),
        expires,
    )
    return grant_id


async def add_refresh_token(conn: Connection, grant_id: str, token: str, now: float) -> None:
    await conn.execute(
        "INSERT INTO oauth_refresh_tokens (token_hash, grant_id, created_at) VALUES ($1, $2, $3)",
        digest(token),
        grant_id,
        at(now),
    )


async def revoke_grant(
    conn: Connection | asyncpg.Pool, grant_id: str, now: float, reason: str
) -> bool:
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
        grant = _grant(row)
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


async def find_refresh_grant(conn: Connection | asyncpg.Pool, token: str) -> GrantRecord | None:
    row = await conn.fetchrow(
        "SELECT g.* FROM oauth_refresh_tokens t JOIN oauth_grants g ON g.id = t.grant_id"
        " WHERE t.token_hash = $1",
        digest(token),
    )
    return None if row is None else _grant(row)


async def find_grant(conn: Connection | asyncpg.Pool, grant_id: str) -> GrantRecord | None:
    row = await conn.fetchrow("SELECT * FROM oauth_grants WHERE id = $1", grant_id)
    return None if row is None else _grant(row)


# --- authorization codes ------------------------------------------------------------------


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
    conn: Connection | asyncpg.Pool,
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
    await conn.execute(
        "INSERT INTO oauth_authorization_codes (code_hash, client_id, redirect_uri,"
        " code_challenge, code_challenge_method, subject, nik, scopes, purpose, consent_id,"
        " created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        digest(code),
        client_id,
        redirect_uri,
        code_challenge,
        code_challenge_method,
        subject,
        nik,
        sorted(scopes),
        purpose,
        consent_id,
        at(now),
        at(now + seconds),
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
    return CodeRecord(
        code_hash=row["code_hash"],
        client_id=row["client_id"],
        redirect_uri=row["redirect_uri"],
        code_challenge=row["code_challenge"],
        code_challenge_method=row["code_challenge_method"],
        subject=row["subject"],
        nik=row["nik"],
        scopes=frozenset(row["scopes"]),
        purpose=row["purpose"],
        consent_id=row["consent_id"],
    )


async def link_code(conn: Connection | asyncpg.Pool, code_hash: bytes, grant_id: str) -> None:
    await conn.execute(
        "UPDATE oauth_authorization_codes SET grant_id = $2 WHERE code_hash = $1",
        code_hash,
        grant_id,
    )


# --- sessions at the hub ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Session:
    id_hash: bytes
    subject: str
    nik: str
    method: str


async def create_session(
    conn: Connection | asyncpg.Pool, subject: str, nik: str, method: str, now: float, seconds: int
) -> str:
    """A new session; returns the value for the cookie (only its digest is stored)."""
    value = secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO oauth_sessions (id_hash, subject, nik, method, created_at, expires_at)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        digest(value),
        subject,
        nik,
        method,
        at(now),
        at(now + seconds),
    )
    return value


async def find_session(conn: Connection | asyncpg.Pool, value: str, now: float) -> Session | None:
    row = await conn.fetchrow(
        "SELECT id_hash, subject, nik, method FROM oauth_sessions"
        " WHERE id_hash = $1 AND ended_at IS NULL AND expires_at > $2",
        digest(value),
        at(now),
    )
    if row is None:
        return None
    return Session(row["id_hash"], row["subject"], row["nik"], row["method"])


async def end_session(conn: Connection | asyncpg.Pool, value: str, now: float) -> None:
    await conn.execute(
        "UPDATE oauth_sessions SET ended_at = $2 WHERE id_hash = $1 AND ended_at IS NULL",
        digest(value),
        at(now),
    )


# --- the development sign-in's one-time codes and the failure counts ----------------------


@dataclass(frozen=True, slots=True)
class Challenge:
    id_hash: bytes
    subject: str
    nik: str
    code_hash: bytes
    attempts: int


async def create_challenge(
    conn: Connection | asyncpg.Pool,
    subject: str,
    nik: str,
    code: str,
    now: float,
    seconds: int,
) -> str:
    """A one-time code awaiting its citizen; returns the challenge's id (a form field)."""
    value = secrets.token_urlsafe(24)
    await conn.execute(
        "INSERT INTO oauth_sign_in_challenges"
        " (id_hash, subject, nik, code_hash, created_at, expires_at)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        digest(value),
        subject,
        nik,
        digest(value + ":" + code),
        at(now),
        at(now + seconds),
    )
    return value


async def open_challenge(
    conn: Connection | asyncpg.Pool, value: str, now: float, max_attempts: int
) -> Challenge | None:
    row = await conn.fetchrow(
        "SELECT id_hash, subject, nik, code_hash, attempts FROM oauth_sign_in_challenges"
        " WHERE id_hash = $1 AND used_at IS NULL AND expires_at > $2 AND attempts < $3",
        digest(value),
        at(now),
        max_attempts,
    )
    if row is None:
        return None
    return Challenge(row["id_hash"], row["subject"], row["nik"], row["code_hash"], row["attempts"])


async def count_challenges(conn: Connection | asyncpg.Pool, subject: str, since: float) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM oauth_sign_in_challenges WHERE subject = $1 AND created_at > $2",
        subject,
        at(since),
    )
    return count


async def wrong_code(conn: Connection | asyncpg.Pool, id_hash: bytes) -> int:
    """Count one wrong code; returns the attempts made so far."""
    attempts: int = await conn.fetchval(
        "UPDATE oauth_sign_in_challenges SET attempts = attempts + 1 WHERE id_hash = $1"
        " RETURNING attempts",
        id_hash,
    )
    return attempts


async def close_challenge(conn: Connection | asyncpg.Pool, id_hash: bytes, now: float) -> bool:
    """Use the challenge; False if it was used meanwhile (two tabs, one code)."""
    done = await conn.fetchval(
        "UPDATE oauth_sign_in_challenges SET used_at = $2 WHERE id_hash = $1"
        " AND used_at IS NULL RETURNING 1",
        id_hash,
        at(now),
    )
    return done is not None


async def record_failure(conn: Connection | asyncpg.Pool, keys: Iterable[str], now: float) -> None:
    await conn.executemany(
        "INSERT INTO oauth_sign_in_failures (key, at) VALUES ($1, $2)",
        [(key, at(now)) for key in keys],
    )


async def count_failures(conn: Connection | asyncpg.Pool, key: str, since: float) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM oauth_sign_in_failures WHERE key = $1 AND at > $2",
        key,
        at(since),
    )
    return count


# --- sign-ins in flight at the city's OpenID provider -----------------------------------


@dataclass(frozen=True, slots=True)
class UpstreamState:
    nonce: str
    code_verifier: str
    next_url: str


async def save_upstream_state(
    conn: Connection | asyncpg.Pool,
    state: str,
    nonce: str,
    code_verifier: str,
    next_url: str,
    now: float,
    seconds: int,
) -> None:
    await conn.execute(
        "INSERT INTO oauth_upstream_states"
        " (state_hash, nonce, code_verifier, next_url, created_at, expires_at)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        digest(state),
        nonce,
        code_verifier,
        next_url,
        at(now),
        at(now + seconds),
    )


async def take_upstream_state(
    conn: Connection | asyncpg.Pool, state: str, now: float
) -> UpstreamState | None:
    """The sign-in in flight under ``state``, once: it is used up by this call."""
    row = await conn.fetchrow(
        "UPDATE oauth_upstream_states SET used_at = $2 WHERE state_hash = $1"
        " AND used_at IS NULL AND expires_at > $2 RETURNING nonce, code_verifier, next_url",
        digest(state),
        at(now),
    )
    if row is None:
        return None
    return UpstreamState(row["nonce"], row["code_verifier"], row["next_url"])


async def prune(conn: Connection | asyncpg.Pool, now: float, keep_seconds: int = 86400) -> None:
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
