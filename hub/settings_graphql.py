"""What ``/graphql`` accepts beyond the limits: introspection, and free text or only
the registered (trusted) documents of ``citizen-hub documents add``.

::

    [graphql]
    introspection = true          # __schema and __type; false in production
    trusted_documents = "optional"  # or "required": every caller sends documentId
    trusted_clients = []          # client ids that must send registered documents
    free_text_clients = []        # client ids that may send text even when required
    graphiql_free_text = true     # the hub's GraphiQL page may send text (demo)

A client "must" send registered documents when ``trusted_documents`` is "required" or
its id is in ``trusted_clients``, unless its id is in ``free_text_clients``. Callers
without a token count as a client with no id: "required" binds them too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.settings_model import SettingsError
from hub.settings_values import check_flag
from schema.execution.trusted import DocumentRules

GRAPHQL_KEYS = frozenset(
    {
        "introspection",
        "trusted_documents",
        "trusted_clients",
        "free_text_clients",
        "graphiql_free_text",
    }
)
MODES = ("optional", "required")


def graphql_settings(raw: Mapping[str, Any]) -> DocumentRules:
    """The ``[graphql]`` section, each value checked."""
    mode = raw.get("trusted_documents", "optional")
    if mode not in MODES:
        raise SettingsError(
            "graphql.trusted_documents", f"must be optional or required, got {mode!r}"
        )
    return DocumentRules(
        introspection=_flag(raw, "introspection", True),
        required=mode == "required",
        trusted_clients=_ids(raw, "trusted_clients"),
        free_text_clients=_ids(raw, "free_text_clients"),
        graphiql_free_text=_flag(raw, "graphiql_free_text", True),
    )


def _flag(raw: Mapping[str, Any], name: str, default: bool) -> bool:
    return check_flag(f"graphql.{name}", raw.get(name, default))


def _ids(raw: Mapping[str, Any], name: str) -> frozenset[str]:
    value = raw.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SettingsError(
            f"graphql.{name}",
            f"must be a list of client ids (clients list shows them), got {value!r}",
        )
    return frozenset(value)
