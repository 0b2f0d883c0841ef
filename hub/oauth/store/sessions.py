"""The citizen's session at the hub (``oauth_sessions``, the cookie's value kept as a
digest), and sign-ins in flight at the city's OpenID provider (``oauth_upstream_states``)
that end in one."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.oauth.store.rows import at, digest, fetch_record, insert

if TYPE_CHECKING:
    from hub.oauth.store.rows import Queryable


@dataclass(frozen=True, slots=True)
class Session:
    id_hash: bytes
    subject: str
    nik: str
    method: str


async def create_session(
    conn: Queryable, subject: str, nik: str, method: str, now: float, seconds: int
) -> str:
    """A new session; returns the value for the cookie (only its digest is stored)."""
    value = secrets.token_urlsafe(32)
    await insert(
        conn,
        "oauth_sessions",
        id_hash=digest(value),
        subject=subject,
        nik=nik,
        method=method,
        created_at=at(now),
        expires_at=at(now + seconds),
    )
    return value


async def find_session(conn: Queryable, value: str, now: float) -> Session | None:
    return await fetch_record(
        conn,
        Session,
        "SELECT id_hash, subject, nik, method FROM oauth_sessions"
        " WHERE id_hash = $1 AND ended_at IS NULL AND expires_at > $2",
        digest(value),
        at(now),
    )


async def end_session(conn: Queryable, value: str, now: float) -> None:
    await conn.execute(
        "UPDATE oauth_sessions SET ended_at = $2 WHERE id_hash = $1 AND ended_at IS NULL",
        digest(value),
        at(now),
    )


@dataclass(frozen=True, slots=True)
class UpstreamState:
    nonce: str
    code_verifier: str
    next_url: str


async def save_upstream_state(
    conn: Queryable,
    state: str,
    nonce: str,
    code_verifier: str,
    next_url: str,
    now: float,
    seconds: int,
) -> None:
    await insert(
        conn,
        "oauth_upstream_states",
        state_hash=digest(state),
        nonce=nonce,
        code_verifier=code_verifier,
        next_url=next_url,
        created_at=at(now),
        expires_at=at(now + seconds),
    )


async def take_upstream_state(conn: Queryable, state: str, now: float) -> UpstreamState | None:
    """The sign-in in flight under ``state``, once: it is used up by this call."""
    return await fetch_record(
        conn,
        UpstreamState,
        "UPDATE oauth_upstream_states SET used_at = $2 WHERE state_hash = $1"
        " AND used_at IS NULL AND expires_at > $2 RETURNING nonce, code_verifier, next_url",
        digest(state),
        at(now),
    )
