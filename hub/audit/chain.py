"""The hash chain of the disclosure log: the canonical encoding of a row, in Python.

The writer computes the same hashes in SQL (``disclosure_row_hash`` in
``hub/migrations/003_audit.sql``, called only by ``disclosures_append``, see
``004_audit_append_only.sql``); :func:`row_hash` is the independent second
implementation that ``verify`` trusts, so a rewritten SQL function cannot vouch
for rows it forged. Encoding v1::

    row_hash = SHA-256("citizen-hub disclosure v1" || prev_hash || T(at) || T(request_id)
               || T(client_id) || T(subject) || T(purpose) || T(nik)
               || A(sources) || A(fields))
    T(NULL) = FF FF FF FF
    T(s)    = uint32 big-endian byte length of UTF-8(s) || UTF-8(s)
    A(list) = uint32 big-endian count || T(element) for each element, in stored order
    at      is written as text, UTC, "YYYY-MM-DDTHH:MM:SS.ffffffZ"

The first row's ``prev_hash`` is :data:`GENESIS` (32 zero bytes). ``seq`` is not
hashed: a row's place in the chain is proven by its ``prev_hash`` link, so a
renumbered row shows as a broken link rather than as altered content. A chain
rewritten from some row on, every hash after it recomputed, is consistent again:
the signed checkpoints of its head (:mod:`hub.audit.checkpoint`) catch that.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

DOMAIN = b"citizen-hub disclosure v1"
GENESIS = bytes(32)
_NULL = b"\xff\xff\xff\xff"


def row_hash(
    prev_hash: bytes,
    at: datetime,
    request_id: str,
    client_id: str | None,
    subject: str | None,
    purpose: str | None,
    nik: str,
    sources: Sequence[str],
    fields: Sequence[str],
) -> bytes:
    """SHA-256 of the row's canonical encoding (see the module docstring)."""
    digest = hashlib.sha256(DOMAIN)
    digest.update(prev_hash)
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for value in (stamp, request_id, client_id, subject, purpose, nik):
        digest.update(_text(value))
    for values in (sources, fields):
        digest.update(len(values).to_bytes(4, "big"))
        for value in values:
            digest.update(_text(value))
    return digest.digest()


def _text(value: str | None) -> bytes:
    if value is None:
        return _NULL
    raw = value.encode("utf-8")
    return len(raw).to_bytes(4, "big") + raw
