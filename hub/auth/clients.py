"""OAuth clients and the purposes they may declare, in the hub database."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from hub.auth.client_secrets import hash_secret, new_secret
from hub.auth.errors import AuthAdminError
from hub.auth.scopes import SCOPES, ScopeSyntaxError, check_purpose_code, unknown_scopes

if TYPE_CHECKING:
    import asyncpg

    from hub.migrate import Connection


@dataclass(frozen=True, slots=True)
class Client:
    """A registered client; ``purposes`` maps each purpose code to the scopes it allows."""

    client_id: str
    name: str
    scopes: frozenset[str]
    purposes: Mapping[str, frozenset[str]]
    created_at: datetime
    revoked_at: datetime | None
    secret_hash: str = field(repr=False)
    #: A public client (a browser or phone app) has no secret and must use PKCE.
    public: bool = False
    #: Where the authorization endpoint may send the citizen back, compared exactly.
    redirect_uris: tuple[str, ...] = ()
    #: The city's own app: citizens signing in to it are not asked for consent.
    first_party: bool = False

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class Purpose:
    code: str
    description: str


#: The secret_hash of a public client: no secret verifies against it.
NO_SECRET: Final = "none"  # noqa: S105 (a marker, not a secret)

_CLIENT_SELECT = """
SELECT c.client_id, c.name, c.secret_hash, c.scopes, c.created_at, c.revoked_at,
       c.public, c.redirect_uris, c.first_party,
       coalesce(array_agg(p.purpose ORDER BY p.purpose) FILTER (WHERE p.purpose IS NOT NULL),
                '{}') AS purpose_codes,
       coalesce(array_agg(array_to_string(p.scopes, ' ') ORDER BY p.purpose)
                FILTER (WHERE p.purpose IS NOT NULL), '{}') AS purpose_scopes
  FROM oauth_clients c
  LEFT JOIN oauth_client_purposes p USING (client_id)
"""


async def add_purpose(conn: Connection, code: str, description: str) -> Purpose:
    """Register ``code`` (or update its description): clients may then be given it."""
    _purpose_code(code)
    if not description.strip():
        raise AuthAdminError(f"purpose {code} needs a description of what the data is used for")
    await conn.execute(
        "INSERT INTO oauth_purposes (code, description) VALUES ($1, $2)"
        " ON CONFLICT (code) DO UPDATE SET description = excluded.description",
        code,
        description.strip(),
    )
    return Purpose(code, description.strip())


async def list_purposes(conn: Connection) -> list[Purpose]:
    rows = await conn.fetch("SELECT code, description FROM oauth_purposes ORDER BY code")
    return [Purpose(r["code"], r["description"]) for r in rows]


async def add_client(
    conn: Connection,
    name: str,
    scopes: Iterable[str],
    purposes: Mapping[str, Iterable[str]],
    *,
    public: bool = False,
    redirect_uris: Iterable[str] = (),
    first_party: bool = False,
) -> tuple[Client, str]:
    """Register a client; returns it and its secret, which is not kept and cannot be shown again.

    Every scope must be in the catalogue, every purpose registered, and each purpose's scopes
    a subset of the client's. A ``public`` client (a browser or phone app) gets no secret
    (``""`` is returned) and needs at least one redirect URI; every redirect URI is an
    absolute https URL (http only on loopback) without a fragment.
    """
    uris = tuple(dict.fromkeys(check_redirect_uri(u) for u in redirect_uris))
    if public and not uris:
        raise AuthAdminError(
            "a public client needs at least one --redirect-uri (where citizens come back to)"
        )
    allowed = frozenset(scopes)
    if not name.strip():
        raise AuthAdminError("a client needs a name (--name), e.g. the partner's agency")
    if not allowed:
        raise AuthAdminError("a client needs at least one scope (--scope)")
    if unknown := unknown_scopes(allowed):
        known = " ".join(sorted(SCOPES))
        raise AuthAdminError(f"unknown scope {', '.join(unknown)} (known: {known})")
    by_purpose = {_purpose_code(code): frozenset(s) for code, s in purposes.items()}
    for code, purpose_scopes in by_purpose.items():
        if not purpose_scopes:
            raise AuthAdminError(f"purpose {code} allows no scope; give it some: {code}=a,b")
        if beyond := sorted(purpose_scopes - allowed):
            raise AuthAdminError(
                f"purpose {code} allows {', '.join(beyond)}, which the client itself is not"
                " given (add them with --scope)"
            )
    registered = {p.code for p in await list_purposes(conn)}
    if missing := sorted(set(by_purpose) - registered):
        raise AuthAdminError(
            f"purpose {', '.join(missing)} is not registered; register it first:"
            f" citizen-hub purposes add {missing[0]} --description '...'"
        )
    if public:
        secret, secret_hash = "", NO_SECRET
    else:
        secret = new_secret()
        secret_hash = await asyncio.to_thread(hash_secret, secret)
    client_id = "ch_" + secrets.token_hex(10)
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO oauth_clients"
            " (client_id, name, secret_hash, scopes, public, redirect_uris, first_party)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            client_id,
            name.strip(),
            secret_hash,
            sorted(allowed),
            public,
            list(uris),
            first_party,
        )
        await conn.executemany(
            "INSERT INTO oauth_client_purposes (client_id, purpose, scopes) VALUES ($1, $2, $3)",
            [(client_id, code, sorted(s)) for code, s in sorted(by_purpose.items())],
        )
    client = await get_client(conn, client_id)
    assert client is not None
    return client, secret


async def get_client(conn: Connection | asyncpg.Pool, client_id: str) -> Client | None:
    row = await conn.fetchrow(
        _CLIENT_SELECT + " WHERE c.client_id = $1 GROUP BY c.client_id", client_id
    )
    return None if row is None else _client(row)


async def list_clients(conn: Connection) -> list[Client]:
    rows = await conn.fetch(_CLIENT_SELECT + " GROUP BY c.client_id ORDER BY c.created_at")
    return [_client(r) for r in rows]


async def revoke_client(conn: Connection, client_id: str) -> Client:
    """Revoke ``client_id``: it gets no new token, and its tokens stop validating."""
    revoked = await conn.fetchval(
        "UPDATE oauth_clients SET revoked_at = coalesce(revoked_at, now())"
        " WHERE client_id = $1 RETURNING client_id",
        client_id,
    )
    if revoked is None:
        raise AuthAdminError(f"no client {client_id} (see: citizen-hub clients list)")
    client = await get_client(conn, client_id)
    assert client is not None
    return client


def check_redirect_uri(uri: str) -> str:
    """``uri`` if it may be a registered redirect URI (RFC 6749 §3.1.2, RFC 8252 §7.3)."""
    parts = urlsplit(uri)
    loopback = parts.hostname in ("127.0.0.1", "::1", "localhost")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise AuthAdminError(f"redirect URI {uri[:100]} must be an absolute https:// URL")
    if parts.scheme == "http" and not loopback:
        raise AuthAdminError(
            f"redirect URI {uri[:100]} must use https (http only on 127.0.0.1, [::1], localhost)"
        )
    if parts.fragment or "#" in uri:
        raise AuthAdminError(f"redirect URI {uri[:100]} must not have a #fragment")
    return uri


def _purpose_code(code: str) -> str:
    try:
        return check_purpose_code(code)
    except ScopeSyntaxError as exc:
        raise AuthAdminError(str(exc)) from None


def _client(row: asyncpg.Record) -> Client:
    purposes = {
        code: frozenset(scopes.split(" ") if scopes else ())
        for code, scopes in zip(row["purpose_codes"], row["purpose_scopes"], strict=True)
    }
    return Client(
        client_id=row["client_id"],
        name=row["name"],
        scopes=frozenset(row["scopes"]),
        purposes=purposes,
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        secret_hash=row["secret_hash"],
        public=row["public"],
        redirect_uris=tuple(row["redirect_uris"]),
        first_party=row["first_party"],
    )
