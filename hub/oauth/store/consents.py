"""Citizens' consents to apps (``oauth_consents``): the one in force, granting (which
replaces the earlier one) and withdrawing (which also revokes the app's sign-ins)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from hub.oauth.store.grants import revoke_grants_of
from hub.oauth.store.rows import at, fetch_record, fetch_records, insert, new_id

if TYPE_CHECKING:
    from hub.migrate import Connection
    from hub.oauth.store.rows import Queryable


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


async def active_consent(
    conn: Queryable, subject: str, client_id: str, purpose: str, now: float
) -> ConsentRecord | None:
    return await fetch_record(
        conn,
        ConsentRecord,
        _CONSENT_SELECT
        + " AND s.subject = $1 AND s.client_id = $2 AND s.purpose = $3 AND s.expires_at > $4",
        subject,
        client_id,
        purpose,
        at(now),
    )


async def consents_of(
    conn: Queryable, subject: str, now: float, client_id: str | None = None
) -> list[ConsentRecord]:
    """The citizen's consents in force, newest first (only ``client_id``'s if given)."""
    sql = _CONSENT_SELECT + " AND s.subject = $1 AND s.expires_at > $2"
    args: list[object] = [subject, at(now)]
    if client_id is not None:
        sql += " AND s.client_id = $3"
        args.append(client_id)
    return await fetch_records(
        conn, ConsentRecord, sql + " ORDER BY s.granted_at DESC, s.id", *args
    )


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
        await insert(
            conn,
            "oauth_consents",
            id=consent_id,
            subject=subject,
            client_id=client_id,
            purpose=purpose,
            scopes=sorted(granted_set | kept),
            granted_at=at(now),
            expires_at=at(now + days * 86400),
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
