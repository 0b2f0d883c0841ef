"""Idempotency keys for writes into the products: the port, the records, the fingerprint.

The keys live in the hub's own database (``hub.idempotency.PgIdempotencyStore``),
since no legacy product table has a place for them; a product write takes the
store as a parameter.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

T = TypeVar("T")


def request_fingerprint(*parts: object) -> str:
    """A digest of what a request asks for, to store beside its idempotency key.

    Parts are JSON-encoded in order (dates and other values as ``str``), so equal
    requests give equal fingerprints whatever process computes them.
    """
    encoded = json.dumps(parts, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


class ClaimState(enum.Enum):
    """Where an idempotency key stands."""

    NEW = "new"  # claimed by this call: go on and write
    PENDING = "pending"  # claimed before and not completed: in flight, or its writer died
    DONE = "done"  # its row is written and known: answer with it


@dataclass(frozen=True, slots=True)
class Claim:
    """An idempotency key as the store holds it.

    ``record`` is the product row written under the key (its primary key as text):
    set by :meth:`IdempotencyStore.reserve` *before* the product's transaction
    commits, so it may name a row that was rolled back, and by
    :meth:`IdempotencyStore.complete` once the row is known to be there.
    """

    key: str
    fingerprint: str
    record: str | None
    state: ClaimState


class IdempotencyStore(Protocol):
    """Where a connector keeps the idempotency keys of the writes it makes.

    The keys live outside the product database (the legacy tables have no column
    for them), so a key and its row cannot be committed together. The writers
    (``connectors.antrian.writes.book_ticket``, ``connectors.apk.writes.submit_request``)
    keep a crash from writing a row twice by this order:

    1. :meth:`claim` the key with the request's fingerprint (a different fingerprint
       under a claimed key is refused; a completed key answers with its row);
    2. in the product's transaction, after taking the lock that serialises writers of
       the same kind of row, :meth:`get` the key again: a ``record`` that names a row
       of the same request is the one an earlier attempt committed, answered as is;
    3. otherwise write the row, :meth:`reserve` its id under the key, then commit;
    4. :meth:`complete` the key.

    A crash before 3 leaves no row; between :meth:`reserve` and the commit, the
    product rolled the row back and the recorded id names no row of this request
    (a retry writes it again); after the commit, the recorded id names it (a retry
    answers with it). Two attempts with the same key meet at the lock of step 2.

    One store holds one ``scope`` of keys (what they write); callers make keys unique
    per client, e.g. by prefixing the client id.
    """

    scope: str

    async def get(self, key: str) -> Claim | None: ...

    async def claim(self, key: str, fingerprint: str) -> Claim: ...

    async def reserve(self, key: str, record: str) -> None: ...

    async def complete(self, key: str, record: str) -> None: ...


# The table is the hub's own (hub/migrations/005_idempotency.sql).


async def claim_or_recall(
    store: IdempotencyStore,
    key: str,
    fingerprint: str,
    refused: Callable[[str, str, str], Exception],
    what: str,
    find: Callable[[Sequence[str]], Awaitable[Mapping[str, T]]],
) -> T | None:
    """Claim ``key`` for a request with ``fingerprint`` (step 1 of the order above).

    Returns the row a completed earlier call under the key wrote, looked up by
    ``find([record])``, or None when there is none to answer with and the caller goes
    on. ``refused(field, rule, message)`` is raised when the key was used before for
    another ``what``.
    """
    claim = await store.claim(key, fingerprint)
    if claim.fingerprint != fingerprint:
        raise refused(
            "idempotency_key",
            "idempotency_key_reused",
            f"this idempotency key was already used for another {what}; use a new key",
        )
    if claim.state is ClaimState.DONE and claim.record is not None:
        return (await find([claim.record])).get(claim.record)
    return None
