"""Property: the compiled path answers exactly what graphql-core answers.

Random selections over the whole Citizen type (every field, nested types, aliases,
repeated keys, fragments, inline fragments, ``@include`` with variables), for one
citizen or several (unknown NIKs among them), for a partner with every scope, a
partner with a few, a partner that may not resolve identities and a citizen; in some
examples one source's reads fail. Each document is asked twice, with the compiled path
and with graphql-core alone: the JSON answers (data, errors and their paths, nulls),
and the NIKs each request wrote to the disclosure log, are the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from connectors.base import Source, SourceDB
from connectors.seeding import SeedReport
from hub.app import create_app
from hub.settings import Settings
from schema import build
from schema.execution import compiled
from tests.e2e.conftest import citizen_headers, city_settings, grant, logged_for

SCHEMA = build.build_schema()._schema
UNKNOWN = "3671010101990001"
VIEWERS = ("partner", "partner_few", "partner_no_identity", "citizen")
FAILING = (None, None, None, Source.SIAK, Source.PSB, Source.SIKDA, Source.LPSE, Source.ANTRIAN)
REQUEST_ID = re.compile(r"[0-9a-f]{32}")
# The disclosure log as the citizen reads it: each of the two asks adds a row to it, so
# the second answer differs from the first whatever path serves it.
CHANGES_PER_REQUEST = {("Citizen", "accessSummary")}


@dataclass
class Hub:
    url: str
    settings: Settings
    niks: list[str]
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    answered: list[bool] = field(default_factory=list)


@pytest.fixture(scope="module")
async def hub(city_dsns: dict[Source | str, str], seed_report: SeedReport) -> AsyncIterator[Hub]:
    city = seed_report.city
    assert city is not None
    settings = city_settings(city_dsns)
    app = create_app(settings)
    async with TestServer(app, host="127.0.0.1") as server:
        own = city.showcase[0]
        adults = [p.nik for p in city.people if p.age() >= 18][:6]
        niks = [m.nik for m in own.members] + adults + [UNKNOWN]
        hub = Hub(str(server.make_url("/graphql")), settings, niks)
        hub.headers = {
            "partner": await grant(settings, name="qa-compiled-all"),
            "partner_few": await grant(
                settings,
                frozenset({"siak:profile", "psb:read", "sikda:read", "apk:read"}),
                name="qa-compiled-few",
            ),
            "partner_no_identity": await grant(
                settings,
                frozenset(s for s in _all_scopes() if s != "identity:resolve"),
                name="qa-compiled-noid",
            ),
            "citizen": await citizen_headers(settings, own.head.nik),
        }
        yield hub


def _all_scopes() -> frozenset[str]:
    from hub.auth import SCOPES

    return frozenset(SCOPES)


def _named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _covered(definition: Any) -> bool:
    """No arguments, and read from the object alone (a plain field or a sync ``self`` method)."""
    if definition.args:
        return False
    if getattr(definition.resolve, "_is_default", False):
        return True
    resolver = definition.extensions["strawberry-definition"].base_resolver
    params = [p.name for p in resolver.signature.parameters.values()]
    return not resolver.is_async and params == ["self"]


@dataclass
class Document:
    query: str
    variables: dict[str, Any]
    plain: bool = True  # only fields without a resolver of their own or arguments
    root: str = "citizen"


@st.composite
def documents(draw: st.DrawFn, niks: list[str]) -> Document:
    doc = Document("", {})
    fragments: list[str] = []
    definitions: list[str] = []

    def selection(type_: GraphQLObjectType, depth: int) -> str:
        names = sorted(n for n in type_.fields if (type_.name, n) not in CHANGES_PER_REQUEST)
        if depth > 2:
            names = [
                n for n in names if not isinstance(_named(type_.fields[n].type), GraphQLObjectType)
            ]
        chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=6))
        parts = []
        for n, name in enumerate(chosen):
            definition = type_.fields[name]
            if not _covered(definition):
                doc.plain = False
            required = [
                a for a, arg in definition.args.items() if isinstance(arg.type, GraphQLNonNull)
            ]
            if required:
                continue
            below = _named(definition.type)
            text = name
            if isinstance(below, GraphQLObjectType):
                text += " { " + selection(below, depth + 1) + " }"
            if draw(st.integers(0, 4)) == 0:
                text = f"k{depth}_{n}: {text}"
            style = draw(st.sampled_from(("plain", "plain", "fragment", "inline", "include")))
            if style == "fragment":
                name_ = f"F{len(fragments)}"
                fragments.append(f"fragment {name_} on {type_.name} {{ {text} }}")
                text = f"...{name_}"
            elif style == "inline":
                text = f"... on {type_.name} {{ {text} }}"
            elif style == "include":
                var = f"v{len(definitions)}"
                definitions.append(f"${var}: Boolean!")
                doc.variables[var] = draw(st.booleans())
                text = f"__typename ... @include(if: ${var}) {{ {text} }}"
            parts.append(text)
        return " ".join(parts) or "__typename"

    body = selection(SCHEMA.type_map["Citizen"], 0)  # type: ignore[arg-type]
    doc.root = shape = draw(st.sampled_from(("citizen", "citizens", "me")))
    if shape == "citizen":
        definitions.append("$nik: NIK!")
        doc.variables["nik"] = draw(st.sampled_from(niks))
        root = f"citizen(nik: $nik) {{ {body} }}"
    elif shape == "me":  # a partner's is FORBIDDEN (not_a_citizen), pruned before it runs
        root = f"me {{ {body} }}"
    else:
        definitions.append("$niks: [NIK!]!")
        doc.variables["niks"] = draw(st.lists(st.sampled_from(niks), min_size=1, max_size=5))
        root = f"citizens(niks: $niks) {{ {body} }}"
    alias = draw(st.sampled_from(("", "who: ")))
    head = f"query Q({', '.join(definitions)})" if definitions else "query Q"
    doc.query = "\n".join([f"{head} {{ {alias}{root} }}", *fragments])
    return doc


@pytest.fixture
def failing(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[Source]]:
    """Sources whose reads raise (an unexpected error, which no breaker counts)."""
    down: set[Source] = set()
    real = SourceDB.fetch

    async def fetch(self: SourceDB, sql: str, *args: Any) -> Any:
        if self.source in down:
            raise RuntimeError(f"{self.source.name} broke for the test")
        return await real(self, sql, *args)

    monkeypatch.setattr(SourceDB, "fetch", fetch)
    yield down


async def ask(hub: Hub, viewer: str, doc: Document, compiled_path: bool) -> tuple[Any, set[str]]:
    compiled.enabled = compiled_path
    try:
        async with (
            aiohttp.ClientSession(headers=hub.headers[viewer]) as session,
            session.post(hub.url, json={"query": doc.query, "variables": doc.variables}) as r,
        ):
            body = await r.text()
            request_id = r.headers["X-Request-Id"]
    finally:
        compiled.enabled = True
    answer = json.loads(REQUEST_ID.sub("<request>", body))
    answer.pop("extensions", None)  # per-source timings
    return answer, await logged_for(hub.settings, request_id, hub.niks)


@contextmanager
def compiled_path_taken() -> Iterator[list[bool]]:
    """Whether each operation meanwhile took the compiled path (True) or was declined
    to graphql-core (False), in order."""
    taken: list[bool] = []
    real_answer = compiled.answer

    async def noting(*args: Any) -> Any:
        result = await real_answer(*args)
        taken.append(result is not None)
        return result

    compiled.answer = noting  # type: ignore[assignment]
    try:
        yield taken
    finally:
        compiled.answer = real_answer  # type: ignore[assignment]


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_the_compiled_path_answers_as_graphql_core(
    hub: Hub, failing: set[Source], data: st.DataObject
) -> None:
    doc = data.draw(documents(hub.niks))
    viewer = data.draw(st.sampled_from(VIEWERS))
    source = data.draw(st.sampled_from(FAILING))
    failing.clear()
    if source is not None:
        failing.add(source)
    with compiled_path_taken() as taken:
        fast, fast_logged = await ask(hub, viewer, doc, True)
    reference, reference_logged = await ask(hub, viewer, doc, False)
    event(f"compiled path: {'taken' if taken == [True] else 'declined'}")
    event(f"errors: {'yes' if reference.get('errors') else 'no'}")
    assert fast == reference, doc.query
    assert fast_logged == reference_logged
    # (Others' documents may be pruned to nothing, a partner's me always is; none is
    # called for a refused operation.)
    if doc.plain and viewer == "partner" and doc.root != "me":
        assert False not in taken, f"the compiled path declined {doc.query}"


async def test_a_plain_selection_takes_the_compiled_path(hub: Hub) -> None:
    doc = Document(
        "query Q($niks: [NIK!]!) { citizens(niks: $niks) { nik fullName"
        " employment { nip rank } assetsHeld { assetCode } queueTickets { number } } }",
        {"niks": hub.niks},
    )
    with compiled_path_taken() as taken:
        fast, _ = await ask(hub, "partner", doc, True)
    reference, _ = await ask(hub, "partner", doc, False)
    assert taken == [True]
    assert fast == reference
    assert len(fast["data"]["citizens"]) == len(hub.niks)


async def test_a_citizens_own_me_takes_the_compiled_path(hub: Hub) -> None:
    doc = Document("{ me { nik fullName schoolAdmissions { level } family { head { nik } } } }", {})
    with compiled_path_taken() as taken:
        fast, fast_logged = await ask(hub, "citizen", doc, True)
    reference, reference_logged = await ask(hub, "citizen", doc, False)
    assert taken == [True]
    assert fast == reference
    assert fast["data"]["me"]["nik"] == hub.niks[0] and fast_logged == reference_logged
