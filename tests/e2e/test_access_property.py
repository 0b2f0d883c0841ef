"""Property: whatever the document, a viewer sees only what it may, and what it sees is
exactly what is logged and charged.

Random documents mix aliases, fragments, inline fragments, variables given and left
to their defaults, bare strings coerced to lists, ``@include``, family cards,
identity resolution and a Federation gateway's ``_entities``, for each kind of viewer.
For every answer:

- the NIKs shown in clear are within what the viewer may see (a citizen: its own
  card; a partner without ``identity:resolve``: the NIKs it named; anonymous: none);
- the NIKs written to the disclosure log for that request are exactly the NIKs
  charged to the viewer's budget (besides a NIK it looked up that no one has), and
  include every NIK the answer shows.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import Source
from connectors.city import City
from connectors.seeding import SeedReport
from hub.app import create_app
from hub.auth import SCOPES
from hub.limits import ClientLimits
from hub.settings import Settings
from tests.e2e.conftest import citizen_headers, city_settings, grant, logged_for

UNKNOWN = "3671010101990001"  # a valid NIK nobody in the test city has
CITIZEN_FIELDS = (
    "nik",
    "fullName",
    "religion",
    "family { familyCardNumber members { relationship citizen { nik fullName } } }",
    "procurementRoles { vendor { npwp } }",
)
VIEWERS = ("anonymous", "citizen", "partner", "partner_no_identity")


class RecordingLimiter(ClientLimits):
    """The hub's own limiter, with a note of every NIK it was asked to charge."""

    charged: set[str]

    async def charge_niks(self, key: str, niks: Sequence[str]) -> None:
        self.charged.update(niks)
        await super().charge_niks(key, niks)


@dataclass
class Hub:
    url: str
    settings: Settings
    limiter: RecordingLimiter
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


@pytest.fixture(scope="module")
async def hub(city_dsns: dict[Source | str, str], seed_report: SeedReport) -> AsyncIterator[Hub]:
    assert seed_report.city is not None
    settings = city_settings(city_dsns)
    limiter = RecordingLimiter.from_settings(settings)
    limiter.charged = set()
    app = create_app(settings, limiter=limiter)
    async with TestServer(app, host="127.0.0.1") as server:
        head = seed_report.city.showcase[0].head.nik
        hub = Hub(str(server.make_url("")).rstrip("/"), settings, limiter)
        hub.headers = {
            "anonymous": {},
            "citizen": await citizen_headers(settings, head),
            "partner": await grant(settings, name="qa-prop-all"),
            "partner_no_identity": await grant(
                settings, SCOPES - {"identity:resolve"}, name="qa-prop-noid"
            ),
        }
        yield hub


@dataclass
class Document:
    query: str
    variables: dict[str, Any]
    named: set[str]  # the NIKs the document names at its root, as execution sees them
    cards: dict[str, str] = field(default_factory=dict)  # alias -> card it lists the members of


@st.composite
def documents(draw: st.DrawFn, city: City) -> Document:
    own, other = city.showcase[0], city.showcase[1]
    niks = [m.nik for m in own.members] + [m.nik for m in other.members] + [UNKNOWN]
    cards = [own.kk, other.kk]
    definitions: list[str] = []
    variables: dict[str, Any] = {}
    named: set[str] = set()
    fragments: dict[str, str] = {}
    cards_listed: dict[str, str] = {}

    def selection() -> str:
        chosen = draw(st.lists(st.sampled_from(CITIZEN_FIELDS), min_size=1, max_size=3))
        body = " ".join(chosen)
        style = draw(st.sampled_from(("plain", "fragment", "inline", "include")))
        if style == "fragment":
            name = f"F{len(fragments)}"
            fragments[name] = f"fragment {name} on Citizen {{ {body} }}"
            return f"...{name}"
        if style == "inline":
            return f"... on Citizen {{ {body} }}"
        if style == "include":
            var = f"inc{len(definitions)}"
            default = draw(st.booleans())
            definitions.append(f"${var}: Boolean = {json.dumps(default)}")
            if draw(st.booleans()):
                variables[var] = draw(st.booleans())
            return f"nik ... @include(if: ${var}) {{ {body} }}"
        return body

    roots: list[str] = []
    for i in range(draw(st.integers(1, 4))):
        kind = draw(
            st.sampled_from(
                (
                    "citizen",
                    "bare",
                    "list",
                    "list_var",
                    "nik_var",
                    "entities",
                    "me",
                    "family",
                    "resolve",
                )
            )
        )
        alias = f"a{i}: "
        if kind == "citizen":
            nik = draw(st.sampled_from(niks))
            named.add(nik)
            roots.append(f'{alias}citizen(nik: "{nik}") {{ {selection()} }}')
        elif kind == "bare":
            nik = draw(st.sampled_from(niks))
            named.add(nik)
            roots.append(f'{alias}citizens(niks: "{nik}") {{ {selection()} }}')
        elif kind == "list":
            chosen = draw(st.lists(st.sampled_from(niks), min_size=1, max_size=3))
            named.update(chosen)
            roots.append(f"{alias}citizens(niks: {json.dumps(chosen)}) {{ {selection()} }}")
        elif kind in ("list_var", "nik_var"):
            var = f"v{i}"
            many = kind == "list_var"
            default = draw(st.lists(st.sampled_from(niks), min_size=1, max_size=2))
            given_value = draw(st.none() | st.lists(st.sampled_from(niks), min_size=1, max_size=2))
            type_ = "[NIK!]!" if many else "NIK!"
            definitions.append(f"${var}: {type_} = {json.dumps(default if many else default[0])}")
            used = default if given_value is None else given_value
            if given_value is not None:
                variables[var] = given_value if many else given_value[0]
            named.update(used if many else used[:1])
            field_ = "citizens(niks:" if many else "citizen(nik:"
            roots.append(f"{alias}{field_} ${var}) {{ {selection()} }}")
        elif kind == "entities":  # a Federation gateway's way in: NIKs in untyped JSON
            chosen = draw(st.lists(st.sampled_from(niks), min_size=1, max_size=3))
            named.update(chosen)
            representations = ", ".join(f'{{__typename: "Citizen", nik: "{n}"}}' for n in chosen)
            roots.append(
                f"{alias}_entities(representations: [{representations}])"
                f" {{ ... on Citizen {{ {selection()} }} }}"
            )
        elif kind == "me":
            roots.append(f"{alias}me {{ {selection()} }}")
        elif kind == "family":
            card = draw(st.sampled_from(cards))
            cards_listed[f"a{i}"] = card
            member = f"citizen {{ {selection()} }}" if draw(st.booleans()) else ""
            roots.append(
                f'{alias}family(familyCardNumber: "{card}")'
                f" {{ members {{ relationship {member} }} }}"
            )
        else:
            card = draw(st.sampled_from(cards))
            cards_listed[f"a{i}"] = card
            roots.append(
                f'{alias}resolveIdentity(system: SIAK, identifier: "{card}")'
                f" {{ candidates {{ nik citizen {{ {selection()} }} }} }}"
            )
    head = f"query({', '.join(definitions)})" if definitions else "query"
    query = f"{head} {{ {' '.join(roots)} }} " + " ".join(fragments.values())
    return Document(query, variables, named, cards_listed)


@pytest.mark.parametrize("viewer", VIEWERS)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_what_a_viewer_sees_is_allowed_logged_and_charged(
    hub: Hub, seed_report: SeedReport, viewer: str, data: st.DataObject
) -> None:
    city = seed_report.city
    assert city is not None
    document = data.draw(documents(city))
    own, other = city.showcase[0], city.showcase[1]
    pool = [m.nik for m in own.members] + [m.nik for m in other.members] + [UNKNOWN]
    hub.limiter.charged.clear()
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            hub.url + "/graphql",
            json={"query": document.query, "variables": document.variables},
            headers=hub.headers[viewer],
        ) as response,
    ):
        body = await response.json()
        request_id = response.headers["X-Request-Id"]
    text = json.dumps(body)
    assert "INTERNAL" not in text, (document.query, body)
    in_clear = {nik for nik in pool if nik in text}
    if viewer == "anonymous":
        allowed: set[str] = set()
    elif viewer == "citizen":
        allowed = {m.nik for m in own.members}
        assert not any(m.name in text for m in other.members), document.query
    elif viewer == "partner_no_identity":
        allowed = document.named
    else:
        allowed = set(pool)
    assert in_clear <= allowed, (document.query, in_clear - allowed)
    shown = await logged_for(hub.settings, request_id, pool)
    # Charged: what was shown, and a NIK looked up that no one has.
    assert shown == hub.limiter.charged - {UNKNOWN}, document.query
    assert in_clear <= shown, document.query
    # Listing a card's members (relationships, or identity candidates) discloses them all.
    members = {c: {m.nik for m in f.members} for f in (own, other) for c in (f.kk,)}
    for alias, card in document.cards.items():
        if (body.get("data") or {}).get(alias) is not None:
            assert members[card] <= shown, document.query
