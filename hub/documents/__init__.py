"""Trusted documents: the operations a hub answers by id (``citizen-hub documents``).

:mod:`hub.documents.files` reads operations from ``.graphql`` files,
:mod:`hub.documents.store` keeps them in the hub database (migration 008), and
:mod:`hub.documents.cli` is ``documents add|list|remove``. The pipeline asks for them
through :class:`schema.execution.trusted.TrustedDocuments`.
"""

from hub.documents.files import Operation, read_operations
from hub.documents.store import PgDocumentStore, register, registered, unregister

__all__ = [
    "Operation",
    "PgDocumentStore",
    "read_operations",
    "register",
    "registered",
    "unregister",
]
