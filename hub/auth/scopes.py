"""The scope catalogue (DESIGN.md, "Access") and the scope parameter's syntax (RFC 6749 §3.3)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

SCOPES: Final = frozenset(
    {
        "siak:profile",
        "siak:sensitive",
        "siak:family",
        "psb:read",
        "cpns:read",
        "sikda:read",
        "sipbd:read",
        "lpse:read",
        "apk:read",
        "apk:write",
        "antrian:read",
        "antrian:write",
        "identity:resolve",
        "identity:steward",
        "audit:read",
    }
)

#: What a citizen's own token carries: everything about themselves, and their access log.
#: ``identity:resolve`` is a partner tool and ``identity:steward`` the city's data
#: steward's (the review queue shows anyone's NIK): both are left out.
CITIZEN_SCOPES: Final = frozenset(SCOPES - {"identity:resolve", "identity:steward"})

_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
_PURPOSE_CODE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


class ScopeSyntaxError(ValueError):
    """A scope string or purpose code that breaks its syntax."""


def parse_scope(text: str) -> frozenset[str]:
    """The scopes of a space-delimited ``scope`` parameter or claim."""
    tokens = text.split(" ")
    if not text or any(not _SCOPE_TOKEN.fullmatch(t) for t in tokens):
        raise ScopeSyntaxError(
            "scope must be scope names separated by single spaces, e.g. 'siak:profile psb:read'"
        )
    return frozenset(tokens)


def format_scope(scopes: Iterable[str]) -> str:
    """The ``scope`` claim for ``scopes``: sorted, so equal sets print alike."""
    return " ".join(sorted(scopes))


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    return sorted(set(scopes) - SCOPES)


def check_purpose_code(code: str) -> str:
    """``code`` if it is a valid purpose code: lower-case letters, digits, ``.-_``, ≤ 64."""
    if not _PURPOSE_CODE.fullmatch(code):
        raise ScopeSyntaxError(
            f"purpose code {code[:64]!r} must be lower-case letters, digits, '.', '-' or '_'"
            " (at most 64, starting with a letter or digit)"
        )
    return code
