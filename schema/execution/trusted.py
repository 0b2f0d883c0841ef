"""Trusted documents: operations registered ahead (``citizen-hub documents add``) and
asked for by id, and the rules on who may still send GraphQL text.

A client sends ``{"documentId": "sha256:<hex>", "variables": ...}`` (or Apollo's
``extensions.persistedQuery.sha256Hash``) instead of ``query``; the transports turn
the id into a :class:`DocumentRef` where the query text would be (a ``str`` no JSON
decoder produces, so a client cannot forge one) and the pipeline swaps in the
registered text before parsing (:meth:`TrustedDocuments.resolve`). An unknown id is
``BAD_USER_INPUT`` with ``rule: PERSISTED_QUERY_NOT_FOUND``; the hub never registers
a document on a miss (Apollo's automatic persisted queries would let any client
register anything). Text from a caller bound to registered documents is
``FORBIDDEN`` (``reason: trusted_documents_only``).

Registered documents are parsed once, and validated once by the pipeline's cache;
each stays in this process's memory for :data:`CACHE_SECONDS`, so one removed by
``documents remove`` stops being answered within that long on every instance.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from graphql import DocumentNode, parse

from schema.errors import BadUserInput, Forbidden

if TYPE_CHECKING:
    from schema.execution.ports import Viewer

CACHE_SECONDS = 60.0
CACHE_SIZE = 1024
PREFIX = "sha256:"
_HEX = re.compile(r"[0-9a-f]{64}")
#: The connection_init payload key (websocket) or header (HTTP) the hub's own
#: GraphiQL page sends with every operation.
GRAPHIQL_MARK = "X-Citizen-Hub-Page"
GRAPHIQL_PAGE = "graphiql"


def document_id(text: str) -> str:
    """The id of a document's text: ``sha256:`` and the hex digest of its UTF-8 bytes."""
    return PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_document_id(value: object) -> str | None:
    """The lowercase hex digest in ``sha256:<hex>`` (or bare hex, Apollo's form), or None."""
    if not isinstance(value, str):
        return None
    digest = value.removeprefix(PREFIX).lower()
    return digest if _HEX.fullmatch(digest) else None


class DocumentRef(str):
    """Where a request's query text would be: the id of a registered document."""

    __slots__ = ("digest",)

    def __new__(cls, digest: str) -> DocumentRef:
        ref = super().__new__(cls, f"documentId {PREFIX}{digest}")
        ref.digest = digest
        return ref

    digest: str


@dataclass(frozen=True, slots=True)
class DocumentRules:
    """Introspection, and who must send registered documents (``[graphql]`` settings)."""

    introspection: bool = True
    required: bool = False  # every caller, the super-app's mode
    trusted_clients: frozenset[str] = field(default_factory=frozenset)
    free_text_clients: frozenset[str] = field(default_factory=frozenset)
    graphiql_free_text: bool = True

    def may_send_text(self, viewer: Viewer | None, *, graphiql: bool) -> bool:
        client = viewer.client_id if viewer is not None else None
        if client is not None and client in self.free_text_clients:
            return True
        if graphiql and self.graphiql_free_text:
            return True
        bound = self.required or (client is not None and client in self.trusted_clients)
        return not bound


class DocumentStore(Protocol):
    """Where registered documents live (``hub.documents``: the hub database)."""

    async def find(self, digest: str) -> str | None:
        """The registered text of ``digest`` (lowercase hex), or None."""
        ...


@dataclass(frozen=True, slots=True)
class Registered:
    text: str
    document: DocumentNode


class TrustedDocuments:
    """The registered documents, as the pipeline asks for them, and the rules."""

    def __init__(
        self,
        store: DocumentStore | None,
        rules: DocumentRules | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.rules = rules or DocumentRules()
        self._clock = clock
        self._cache: dict[str, tuple[float, Registered]] = {}

    async def resolve(self, digest: str) -> Registered:
        """The registered document ``digest``; BadUserInput when there is none."""
        now = self._clock()
        cached = self._cache.get(digest)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        text = await self.store.find(digest) if self.store is not None else None
        if text is None:
            self._cache.pop(digest, None)
            raise not_found(digest)
        registered = Registered(text, parse(text))
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()  # rare: more registered documents in use than it holds
        self._cache[digest] = (now, registered)
        return registered

    def check_text(self, viewer: Viewer | None, *, graphiql: bool) -> None:
        """Forbidden when this caller may send registered documents only."""
        if not self.rules.may_send_text(viewer, graphiql=graphiql):
            raise Forbidden(
                "this client may send registered documents only: send"
                ' {"documentId": "sha256:<hex>", "variables": {...}} with the id'
                " citizen-hub documents add printed",
                reason="trusted_documents_only",
            )


def not_found(digest: str) -> BadUserInput:
    return BadUserInput(
        f"no registered document has the id {PREFIX}{digest}; the hub registers documents"
        " only through citizen-hub documents add, never on request",
        rule="PERSISTED_QUERY_NOT_FOUND",
    )


def request_document(
    query: str | None, extensions: Mapping[str, object] | None, document_id_field: object
) -> str | None:
    """The query a request stands for: its text, or a :class:`DocumentRef` when it names
    a registered document (``documentId`` or Apollo's ``persistedQuery``) and sends no
    text. ValueError names what is wrong with an id or a text that contradicts it."""
    ids: list[str] = []
    if document_id_field is not None:
        digest = parse_document_id(document_id_field)
        if digest is None:
            raise ValueError('documentId must be "sha256:" and 64 hexadecimal digits')
        ids.append(digest)
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is not None:
        digest = parse_document_id(
            persisted.get("sha256Hash") if isinstance(persisted, Mapping) else None
        )
        if digest is None:
            raise ValueError("extensions.persistedQuery.sha256Hash must be 64 hexadecimal digits")
        ids.append(digest)
    if not ids:
        return query
    if len(set(ids)) > 1:
        raise ValueError("documentId and extensions.persistedQuery name different documents")
    if query is None:
        return DocumentRef(ids[0])
    if document_id(query) != PREFIX + ids[0]:
        raise ValueError("the query text does not match the id it is sent with")
    return query
