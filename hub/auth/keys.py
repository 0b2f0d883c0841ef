"""The hub's signing keys: generated on first run, rotated, retired; kept in the hub database.

A key is published (served in the JWKS) from its creation until it is retired; the newest
published key signs. Rotation adds a key, so tokens signed with the old one still validate;
retiring the old key, once its tokens have expired, ends them.

The private JWKs are sealed at rest (JWE ``dir`` + ``A256GCM``, the row's kid bound in the
protected header) under the key-encryption key of ``[auth] key_encryption_key`` or
``CITIZEN_HUB_KEY_ENCRYPTION_KEY``. Without one they are stored in clear, which only the
demo accepts (``citizen-hub serve`` refuses to start); keys stored in clear are sealed by
:meth:`SigningKeys.ensure` as soon as a key-encryption key is set.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, Key, KeyParameters, OctKey, RSAKey

from hub.auth.errors import KeyStoreError
from hub.settings import SIGNING_ALGS, SettingsError

if TYPE_CHECKING:
    from hub.migrate import Connection
    from hub.settings import AuthSettings

# Two hub instances starting together on an empty table must not both create a first key.
_LOCK_KEY: Final = 0x63686B  # "chk"
_SEAL_ALGS: Final = ["dir", "A256GCM"]
_KEK_SETTING: Final = "auth.key_encryption_key (or CITIZEN_HUB_KEY_ENCRYPTION_KEY)"

log = logging.getLogger(__name__)


def require_key_encryption_key(auth: AuthSettings) -> None:
    """Refuse to serve with the private signing keys in clear (only the demo may)."""
    if auth.key_encryption_key is None:
        raise SettingsError(
            "auth.key_encryption_key",
            "is not set (nor CITIZEN_HUB_KEY_ENCRYPTION_KEY), and serve stores the hub's"
            " private signing keys encrypted under it; make one with"
            ' python -c "import secrets; print(secrets.token_urlsafe(32))"'
            " (only citizen-hub demo runs without it)",
        )


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """One row of ``citizen-hub keys list``."""

    kid: str
    alg: str
    created_at: datetime
    retired_at: datetime | None
    active: bool


class KeySealer:
    """Seals private JWKs with the key-encryption key from settings, if there is one."""

    def __init__(self, key_encryption_key: bytes | None) -> None:
        self._key = OctKey.import_key(key_encryption_key) if key_encryption_key else None

    @property
    def sealing(self) -> bool:
        """True when private keys are sealed (a key-encryption key is set)."""
        return self._key is not None

    def seal(self, kid: str, private_jwk: dict[str, Any]) -> dict[str, Any]:
        if self._key is None:
            return private_jwk
        header = {"alg": "dir", "enc": "A256GCM", "kid": kid}
        text = jwe.encrypt_compact(header, json.dumps(private_jwk), self._key, _SEAL_ALGS)
        return {"jwe": text}

    def open(self, kid: str, stored: dict[str, Any]) -> dict[str, Any]:
        if "jwe" not in stored:
            return stored
        if self._key is None:
            raise KeyStoreError(
                f"signing key {kid} is sealed; set {_KEK_SETTING} to the key it was sealed with"
            )
        try:
            opened = jwe.decrypt_compact(stored["jwe"], self._key, _SEAL_ALGS)
        except JoseError:
            raise KeyStoreError(
                f"signing key {kid} cannot be unsealed: {_KEK_SETTING} is not the key it was"
                " sealed with"
            ) from None
        if opened.headers().get("kid") != kid or opened.plaintext is None:
            raise KeyStoreError(f"signing key {kid} holds another key's sealed JWK")
        jwk: dict[str, Any] = json.loads(opened.plaintext)
        return jwk


class SigningKeys:
    """The signing-key table, seen through ``sealer``; new keys use ``alg``."""

    def __init__(self, sealer: KeySealer, alg: str = "ES256") -> None:
        if alg not in SIGNING_ALGS:
            raise KeyStoreError(f"signing alg must be one of {', '.join(SIGNING_ALGS)}")
        self.sealer = sealer
        self.alg = alg

    async def ensure(self, conn: Connection) -> str:
        """The kid of the signing key, generating the first one if the table has none.

        With a key-encryption key, it also seals every private key still stored in clear.
        """
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
            if self.sealer.sealing:
                await self._seal_stored(conn)
            kid: str | None = await conn.fetchval(
                "SELECT kid FROM oauth_signing_keys WHERE retired_at IS NULL"
                " ORDER BY created_at DESC LIMIT 1"
            )
            return kid if kid is not None else await self._insert(conn, self.alg)

    async def rotate(self, conn: Connection, alg: str | None = None) -> str:
        """Add a key that signs from now on; the previous ones stay published. Its kid."""
        alg = alg or self.alg
        if alg not in SIGNING_ALGS:
            raise KeyStoreError(f"signing alg must be one of {', '.join(SIGNING_ALGS)}")
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
            return await self._insert(conn, alg)

    async def retire(self, conn: Connection, kid: str) -> None:
        """Stop publishing ``kid``: tokens it signed no longer validate. Not the active key."""
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
            rows = await conn.fetch(
                "SELECT kid, retired_at FROM oauth_signing_keys"
                " ORDER BY retired_at IS NULL DESC, created_at DESC"
            )
            found = next((r for r in rows if r["kid"] == kid), None)
            if found is None:
                raise KeyStoreError(f"no signing key {kid} (see: citizen-hub keys list)")
            if found["retired_at"] is not None:
                raise KeyStoreError(f"signing key {kid} is already retired")
            if rows[0]["kid"] == kid:
                raise KeyStoreError(
                    f"signing key {kid} is the active key; run 'citizen-hub keys rotate' first"
                )
            await conn.execute(
                "UPDATE oauth_signing_keys SET retired_at = now() WHERE kid = $1", kid
            )

    async def active(self, conn: Connection) -> Key:
        """The private key that signs now (with its ``kid`` and ``alg``)."""
        row = await conn.fetchrow(
            "SELECT kid, private_jwk FROM oauth_signing_keys WHERE retired_at IS NULL"
            " ORDER BY created_at DESC LIMIT 1"
        )
        if row is None:
            raise KeyStoreError("the hub has no signing key yet; start the hub or run keys rotate")
        return JWKRegistry.import_key(self.sealer.open(row["kid"], json.loads(row["private_jwk"])))

    async def list(self, conn: Connection) -> list[KeyInfo]:
        rows = await conn.fetch(
            "SELECT kid, alg, created_at, retired_at FROM oauth_signing_keys"
            " ORDER BY created_at DESC"
        )
        active = next((r["kid"] for r in rows if r["retired_at"] is None), None)
        return [
            KeyInfo(r["kid"], r["alg"], r["created_at"], r["retired_at"], r["kid"] == active)
            for r in rows
        ]

    async def _seal_stored(self, conn: Connection) -> None:
        rows = await conn.fetch(
            "SELECT kid, private_jwk FROM oauth_signing_keys WHERE NOT private_jwk ? 'jwe'"
        )
        for row in rows:
            sealed = self.sealer.seal(row["kid"], json.loads(row["private_jwk"]))
            await conn.execute(
                "UPDATE oauth_signing_keys SET private_jwk = $2::jsonb WHERE kid = $1",
                row["kid"],
                json.dumps(sealed),
            )
        if rows:
            log.info("sealed %d signing keys that were stored in clear", len(rows))

    async def _insert(self, conn: Connection, alg: str) -> str:
        if not self.sealer.sealing and await conn.fetchval(
            "SELECT EXISTS (SELECT FROM oauth_signing_keys WHERE private_jwk ? 'jwe')"
        ):
            raise KeyStoreError(
                f"the hub's signing keys are sealed; set {_KEK_SETTING} so a new one is too"
            )
        key = _generate(alg)
        kid = key.kid
        assert kid is not None  # ensure_kid() sets it to the RFC 7638 thumbprint
        await conn.execute(
            "INSERT INTO oauth_signing_keys (kid, alg, public_jwk, private_jwk)"
            " VALUES ($1, $2, $3::jsonb, $4::jsonb)",
            kid,
            alg,
            json.dumps(key.as_dict(private=False)),
            json.dumps(self.sealer.seal(kid, key.as_dict(private=True))),
        )
        return kid


async def published_jwks(conn: Connection) -> list[dict[str, Any]]:
    """The public JWKs of every key not retired, newest first."""
    rows = await conn.fetch(
        "SELECT public_jwk FROM oauth_signing_keys WHERE retired_at IS NULL"
        " ORDER BY created_at DESC"
    )
    return [json.loads(r["public_jwk"]) for r in rows]


async def public_keys(conn: Connection) -> dict[str, Key]:
    """Every public key the hub has had, by kid, retired ones too: what it signed long ago
    (a checkpoint of the disclosure log, say) stays verifiable."""
    rows = await conn.fetch("SELECT kid, public_jwk FROM oauth_signing_keys")
    return {r["kid"]: JWKRegistry.import_key(json.loads(r["public_jwk"])) for r in rows}


def _generate(alg: str) -> Key:
    parameters: KeyParameters = {"alg": alg, "use": "sig"}
    key: Key
    if alg == "ES256":
        key = ECKey.generate_key("P-256", parameters, private=True)
    else:
        key = RSAKey.generate_key(2048, parameters, private=True)
    key.ensure_kid()
    return key
