"""What a hostile or careless client sends: tokens, headers and bodies, as strategies.

Tokens are made from a real one the hub issued (so the hub's own keys, claims and
kid are in play): expired, re-signed with the wrong key or with ``alg: none``, signed
HS256 with the hub's public key as the secret (algorithm confusion), truncated,
claims edited under the old signature, or plain garbage.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from hypothesis import strategies as st
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

from hub.http_input import MAX_JSON_DEPTH

# Text a header value may hold: HTTP forbids CR, LF and NUL there, and aiohttp's client
# refuses them before sending, so they are left to the bodies, which may hold anything.
HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=200,
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def split(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return json.loads(unb64(header)), json.loads(unb64(payload)), signature


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    """A JWS in compact form whose signature is whatever ``signature`` says."""
    return ".".join((b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()), signature))


def forged_tokens(real: str, public_jwk: dict[str, Any]) -> list[str]:
    """Tokens the hub must refuse, each built from ``real`` (a valid hub token)."""
    header, claims, signature = split(real)
    now = int(time.time())
    stranger = ECKey.generate_key("P-256")
    mallory = {"alg": "ES256", "typ": "JWT", "kid": header.get("kid", "")}
    expired = {**claims, "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600}
    wider = {**claims, "scope": "siak:profile siak:family psb:read admin", "exp": now + 10**9}
    confusion = OctKey.import_key(json.dumps(public_jwk, sort_keys=True).encode())
    return [
        unsigned({**header, "alg": "none"}, claims),
        unsigned({**header, "alg": "None"}, claims, "e30"),
        unsigned(header, expired, signature),
        unsigned(header, wider, signature),
        unsigned({**header, "kid": "no-such-kid"}, claims, signature),
        unsigned({**header, "kid": "../../../etc/passwd"}, claims, signature),
        unsigned({**header, "jku": "http://127.0.0.1:1/jwks"}, claims, signature),
        real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB"),
        real[: len(real) // 2],
        real + "." + signature,
        jwt.encode(mallory, claims, stranger),
        jwt.encode({**header, "alg": "HS256"}, claims, confusion, algorithms=["HS256"]),
        jwt.encode(mallory, expired, stranger),
    ]


def authorizations(forged: list[str]) -> st.SearchStrategy[str]:
    """Authorization header values: forged tokens, malformed schemes, garbage."""
    return st.one_of(
        st.sampled_from(forged).map(lambda t: f"Bearer {t}"),
        st.sampled_from(forged).map(lambda t: f"bearer  {t}"),
        st.sampled_from(["Bearer", "Bearer ", "Basic Zm9vOmJhcg==", "Token abc", "", "Bearer a.b"]),
        HEADER_TEXT.map(lambda t: f"Bearer {t}"),
        HEADER_TEXT,
        st.integers(1000, 20000).map(lambda n: "Bearer " + "A" * n),
    )


def json_values(max_leaves: int = 20) -> st.SearchStrategy[Any]:
    """Any JSON value: text with NUL bytes and astral characters, huge and odd numbers."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=40),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=10), inner, max_size=5)
        ),
        max_leaves=max_leaves,
    )


def nested(depth: int, opener: str = "[", closer: str = "]") -> bytes:
    return (opener * depth + closer * depth).encode()


CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=latin-1",
        "APPLICATION/JSON",
        "application/graphql",
        "application/graphql-response+json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/octet-stream",
        "",
        "json",
    ]
)


class Body:
    """A request body whose repr stays short (hypothesis prints a failing case's)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __repr__(self) -> str:
        return f"Body({len(self.data)} bytes: {self.data[:120]!r}...)"


def bodies() -> st.SearchStrategy[Body]:
    return _bodies().map(Body)


@st.composite
def _bodies(draw: st.DrawFn) -> bytes:
    """A request body: broken, huge, deep, mistyped or hostile, and sometimes fine."""
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.binary(max_size=300))
    if kind == 1:  # JSON text that is almost right
        good = b'{"query": "{ serviceCentres { name } }"}'
        cut = draw(st.integers(0, len(good) - 1))
        return good[:cut] + draw(st.binary(max_size=3)) + good[cut + 1 :]
    if kind == 2:  # nested past the hub's limit, or just under it
        depth = draw(st.sampled_from([MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH + 1, 5000, 100_000]))
        inner = nested(depth, *draw(st.sampled_from([("[", "]"), ('{"a":', "}")])))
        if inner.startswith(b"{"):
            inner = inner.replace(b"}" * depth, b"1" + b"}" * depth, 1)
        return b'{"query": "{ __typename }", "variables": {"v": ' + inner + b"}}"
    if kind == 3:  # the right fields with the wrong types
        value = draw(json_values())
        field = draw(st.sampled_from(["query", "variables", "operationName", "extensions"]))
        return json.dumps({"query": "{ __typename }", field: value}).encode()
    if kind == 4:  # any JSON value at all as the body
        return json.dumps(draw(json_values())).encode()
    if kind == 5:  # NUL bytes and control characters inside the document
        text = draw(st.text(st.characters(max_codepoint=0x1F), min_size=1, max_size=20))
        return json.dumps({"query": "{ serviceCentres" + text + "{ name } }"}).encode()
    if kind == 6:  # big: a long document, or many aliases
        size = draw(st.sampled_from([10_000, 200_000, 2_000_000]))
        return json.dumps({"query": "{ " + "__typename " * (size // 11) + "}"}).encode()
    if kind == 7:  # a batch
        return json.dumps([{"query": "{ __typename }"}] * draw(st.integers(0, 50))).encode()
    if kind == 8:  # JSON that orjson and json disagree on, or that is not JSON
        return draw(
            st.sampled_from(
                [
                    *(b"NaN", b'{"query": NaN}', b'{"query": "x",}', b"\xef\xbb\xbf{}"),
                    *(b'{"a":1,"a":2}', b'{"query": "\\ud800"}', b"\x00", b"   "),
                    b'{"query": "{ __typename }"}\x00',
                ]
            )
        )
    text = draw(st.text(max_size=200))  # a GraphQL document of random text
    return json.dumps({"query": text, "variables": draw(json_values(5))}).encode()
