"""Client secrets, stored as scrypt hashes with a salt per client and compared in constant time."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import secrets
from typing import Final

# scrypt at N=2^14, r=8, p=1 uses 16 MiB and about 50 ms per check: cheap for the token
# endpoint, costly for anyone trying secrets offline against a copy of the table.
_LOG2_N: Final = 14
_R: Final = 8
_P: Final = 1
_LENGTH: Final = 32


def new_secret() -> str:
    """A fresh client secret: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str, *, salt: bytes | None = None) -> str:
    """``scrypt$<log2 N>$<r>$<p>$<salt>$<hash>`` for ``secret`` (salt and hash base64url)."""
    salt = os.urandom(16) if salt is None else salt
    digest = _scrypt(secret, salt, _LOG2_N, _R, _P)
    return f"scrypt${_LOG2_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, stored: str) -> bool:
    """True if ``secret`` matches ``stored``; a malformed ``stored`` never matches."""
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = _scrypt(secret, _unb64(salt), int(log2_n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def dummy_hash() -> str:
    """Checked when the client is unknown, so that an unknown client_id costs as much time
    as a wrong secret and the answer's timing does not tell which client ids exist."""
    return hash_secret("no client has this secret", salt=b"\0" * 16)


def _scrypt(secret: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    if not 10 <= log2_n <= 20:
        raise ValueError("scrypt cost out of range")
    return hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=2**log2_n, r=r, p=p, dklen=_LENGTH, maxmem=2**26
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
