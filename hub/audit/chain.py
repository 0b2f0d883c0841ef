"""The hash chains of the disclosure log: the canonical encoding of a row, in Python.

Each writer (one per hub process, :mod:`hub.audit.writer`) chains its own rows with
:func:`row_hash_v2` and hands them to ``disclosures_append``, which links them onto the
writer's head; ``verify`` recomputes every hash here, and the database states the same
encoding (``disclosure_row_hash_v2`` in ``hub/migrations/007_audit_writers.sql``).
Encoding v2::

    row_hash = SHA-256("citizen-hub disclosure v2" || prev_hash || T(writer) || T(at)
               || T(request_id) || T(client_id) || T(subject) || T(purpose)
               || T(consent_id) || T(nik) || A(sources) || A(fields))

with T, A and ``at`` as in v1 below. A writer's first row has ``prev_hash``
:data:`GENESIS`; ``seq`` and ``writer_seq`` are not hashed.

The rows written before there were several writers (``writer`` NULL) form one chain
in encoding v1, hashed in SQL by ``disclosure_row_hash`` (``hub/migrations/003_audit.sql``)
and verified here by :func:`row_hash`, the independent second implementation that
``verify`` trusts, so a rewritten SQL function cannot vouch for rows it forged.
Encoding v1::

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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asyncpg import Record

DOMAIN = b"citizen-hub disclosure v1"
DOMAIN_V2 = b"citizen-hub disclosure v2"
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
    """SHA-256 of a v1 row's canonical encoding (see the module docstring)."""
    digest = hashlib.sha256(DOMAIN)
    digest.update(prev_hash)
    for value in (stamp(at), request_id, client_id, subject, purpose, nik):
        digest.update(_text(value))
    _texts(digest, sources, fields)
    return digest.digest()


def row_hash_v2(
    prev_hash: bytes,
    writer: str,
    at: datetime,
    request_id: str,
    client_id: str | None,
    subject: str | None,
    purpose: str | None,
    consent_id: str | None,
    nik: str,
    sources: Sequence[str],
    fields: Sequence[str],
) -> bytes:
    """SHA-256 of a v2 row's canonical encoding (see the module docstring)."""
    digest = hashlib.sha256(DOMAIN_V2)
    digest.update(prev_hash)
    for value in (writer, stamp(at), request_id, client_id, subject, purpose, consent_id, nik):
        digest.update(_text(value))
    _texts(digest, sources, fields)
    return digest.digest()


def stored_row_hash(row: Record) -> bytes:
    """The hash a stored row (a ``disclosures`` record) should have, by its encoding:
    v1 for the rows without a writer, v2 for the rest."""
    if row["writer"] is None:
        return row_hash(
            bytes(row["prev_hash"]),
            row["at"],
            row["request_id"],
            row["client_id"],
            row["subject"],
            row["purpose"],
            row["nik"],
            row["sources"],
            row["fields"],
        )
    return row_hash_v2(
        bytes(row["prev_hash"]),
        row["writer"],
        row["at"],
        row["request_id"],
        row["client_id"],
        row["subject"],
        row["purpose"],
        row["consent_id"],
        row["nik"],
        row["sources"],
        row["fields"],
    )


def stamp(at: datetime) -> str:
    """``at`` as the encodings write it: UTC, microseconds, ``Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _texts(digest: Any, *lists: Sequence[str]) -> None:
    for values in lists:
        digest.update(len(values).to_bytes(4, "big"))
        for value in values:
            digest.update(_text(value))


def _text(value: str | None) -> bytes:
    if value is None:
        return _NULL
    raw = value.encode("utf-8")
    return len(raw).to_bytes(4, "big") + raw
