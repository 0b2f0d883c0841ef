"""Opaque citizen ids: what a caller uses to name a citizen whose NIK it may not see.

A parent's super-app sees its children with masked NIKs (``3671************``), all
alike; to book a ticket for one child it needs a handle for that child. The id is
the NIK sealed with AES-SIV (deterministic authenticated encryption, RFC 5297)
under a key only the hub holds, bound to the caller it was shown to (associated
data): stable for that caller, the same citizen shown to another caller has
another id, and nobody without the key can turn it back into the NIK or forge one.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

PREFIX = "c_"
KEY_BYTES = 64  # AES-SIV-256: two 256-bit keys


class CitizenIds:
    """Seal NIKs into opaque ids for one caller, and open them again."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a citizen-id key is {KEY_BYTES} bytes, not {len(key)}")
        self._siv = AESSIV(key)

    def seal(self, nik: str, caller: str) -> str:
        """The opaque id of ``nik`` as shown to ``caller``."""
        sealed = self._siv.encrypt(nik.encode("ascii"), [caller.encode()])
        return PREFIX + base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")

    def open(self, citizen_id: str, caller: str) -> str | None:
        """The NIK behind ``citizen_id`` if it was shown to ``caller``; None otherwise."""
        if not citizen_id.startswith(PREFIX) or len(citizen_id) > 64:
            return None
        body = citizen_id.removeprefix(PREFIX)
        try:
            sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return self._siv.decrypt(sealed, [caller.encode()]).decode("ascii")
        except (InvalidTag, ValueError, binascii.Error, UnicodeDecodeError):
            return None
