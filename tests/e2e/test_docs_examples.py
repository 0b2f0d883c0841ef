"""Every example in README.md and docs/*.md works on the test city.

- A fenced ``graphql`` query runs against the hub, with its placeholders (``<KK>``,
  ``<NIK>``, …) filled from the seeded city's first showcase family, and must answer
  with data and no error. A first line ``# token: citizen`` runs it with the family
  head's citizen token, ``# token: none`` without a token; the default is a partner
  holding every scope. Mutations and subscriptions are validated against the schema,
  not run (they would write, or never end).
- ``sh`` blocks: every ``curl`` goes to an endpoint the hub serves, a token request
  names its ``grant_type`` (and a partner's its ``purpose``), a GraphQL body validates; every
  ``citizen-hub`` line is written ``.venv/bin/citizen-hub`` (or the page says to activate
  the venv) and names a real command.
- Queries in ``python`` and ``js`` blocks validate; Python blocks compile.
- GraphiQL's default query runs as it is, without a token.
- No page links to ../shared, and every relative link leads to a file.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from graphql import GraphQLSchema, OperationDefinitionNode, OperationType, parse, validate

from connectors.city import Family
from hub.cli import _parser
from hub.settings import Settings
from schema.build import build_schema
from tests.e2e.conftest import citizen_headers

ROOT = Path(__file__).parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*>")
TOKEN_LINE = re.compile(r"^#\s*token:\s*(\w+)\s*$", re.MULTILINE)
ENDPOINTS = {
    "/graphql",
    "/oauth/token",
    "/healthz",
    "/.well-known/jwks.json",
    "/.well-known/oauth-authorization-server",
}
GRAPHIQL_JS = ROOT / "hub" / "static" / "graphiql" / "hub-graphiql.js"


@dataclass(frozen=True)
class Block:
    page: Path
    number: int  # 1-based, among the page's blocks of these languages
    language: str
    text: str

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}#{self.number}"


def blocks(*languages: str) -> list[Block]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        matches = [m for m in FENCE.finditer(text) if m.group(1) in languages]
        found += [Block(page, i, m.group(1), m.group(2)) for i, m in enumerate(matches, 1)]
    return found


GRAPHQL = blocks("graphql")
SHELL = blocks("sh", "bash", "console", "cron")
CODE = blocks("python", "js", "javascript")


@cache
def served_schema() -> GraphQLSchema:
    schema: GraphQLSchema = build_schema()._schema
    return schema


def validation_errors(query: str) -> list[str]:
    return [e.message for e in validate(served_schema(), parse(query))]


def operation_type(query: str) -> OperationType:
    operations = [d for d in parse(query).definitions if isinstance(d, OperationDefinitionNode)]
    assert len(operations) == 1, "one operation per example"
    return operations[0].operation


def test_the_pages_have_examples() -> None:
    names = {b.page.name for b in GRAPHQL}
    assert {"README.md", "partners.md", "super-app.md"} <= names
    assert any("/oauth/token" in b.text for b in SHELL)


@pytest.fixture(scope="module")
async def placeholders(
    hub_url: str, partner_headers: dict[str, str], family: Family
) -> dict[str, str]:
    """What the docs' placeholders stand for on the test city."""
    query = "query($n: NIK!) { citizen(nik: $n) { employment { nip } } }"
    async with (
        aiohttp.ClientSession(headers=partner_headers) as session,
        session.post(
            hub_url + "/graphql", json={"query": query, "variables": {"n": family.head.nik}}
        ) as response,
    ):
        body = await response.json()
    nip = body["data"]["citizen"]["employment"]["nip"]
    child = next(m for m in family.members if m.relationship == "ANAK" and m.age() < 18)
    return {"<KK>": family.kk, "<NIK>": family.head.nik, "<NIP>": nip, "<CHILD_NIK>": child.nik}


def fill(block: Block, text: str, values: dict[str, str]) -> str:
    unknown = sorted(set(PLACEHOLDER.findall(text)) - set(values))
    assert not unknown, (
        f"{block.name}: placeholder {', '.join(unknown)} has no value on the test city;"
        f" use one of {', '.join(sorted(values))} or add it to placeholders() here"
    )
    for name, value in values.items():
        text = text.replace(name, value)
    return text


def empty_parts(value: Any, path: str = "") -> list[str]:
    """Where an answer is empty that an example promises something: a null or empty root
    field, or an identity match without candidates."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if (not path and item in (None, [], {})) or (key == "candidates" and not item):
                found.append(where)
            else:
                found += empty_parts(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += empty_parts(item, f"{path}[{i}]")
    return found


@pytest.mark.parametrize("block", GRAPHQL, ids=[b.name for b in GRAPHQL])
async def test_graphql_example(
    block: Block,
    hub_url: str,
    hub_settings: Settings,
    partner_headers: dict[str, str],
    family: Family,
    placeholders: dict[str, str],
) -> None:
    kind = operation_type(block.text)
    if kind is not OperationType.QUERY:
        # Validated, not run: a mutation writes, a subscription never ends.
        dummies = {name: "x" for name in PLACEHOLDER.findall(block.text)}
        assert validation_errors(fill(block, block.text, dummies)) == [], block.name
        return
    token = TOKEN_LINE.search(block.text)
    who = token.group(1) if token else "partner"
    assert who in ("partner", "citizen", "none"), f"{block.name}: # token: {who}?"
    if who == "citizen":
        headers = await citizen_headers(hub_settings, family.head.nik)
    else:
        headers = partner_headers if who == "partner" else {}
    query = fill(block, block.text, placeholders)
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(hub_url + "/graphql", json={"query": query}) as response,
    ):
        body = await response.json()
        status = response.status
    assert status == 200, f"{block.name}: HTTP {status}: {body}"
    assert "errors" not in body, f"{block.name} answers with errors: {body['errors']}"
    assert body.get("data"), f"{block.name}: no data"
    assert empty_parts(body["data"]) == [], f"{block.name}: empty answer: {body['data']}"


def citizen_hub_lines(block: Block) -> list[str]:
    lines = []
    for line in block.text.replace("\\\n", " ").splitlines():
        command = line.split("#", 1)[0].strip()
        if re.search(r"(^|[\s;&|(]|\$\()(?:\S*/)?citizen-hub\s", command + " "):
            lines.append(command)
    return lines


def subcommand_path(parser: argparse.ArgumentParser, words: list[str]) -> list[str]:
    path = []
    for word in words:
        subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subparsers:
            break
        choices = subparsers[0].choices
        assert word in choices, f"no command {' '.join([*path, word])} (citizen-hub --help)"
        parser = choices[word]
        path.append(word)
    return path


@pytest.mark.parametrize("block", SHELL, ids=[b.name for b in SHELL])
def test_shell_example(block: Block) -> None:
    activated = "source .venv/bin/activate" in block.page.read_text(encoding="utf-8")
    for command in citizen_hub_lines(block):
        words = shlex.split(re.sub(r"<[^<>]*>", "PLACEHOLDER", command))
        program = next(w for w in words if w == "citizen-hub" or w.endswith("bin/citizen-hub"))
        assert program == ".venv/bin/citizen-hub" or (activated and program == "citizen-hub"), (
            f"{block.name}: write .venv/bin/citizen-hub (it is not on PATH), or say on the"
            f" page to run source .venv/bin/activate first: {command}"
        )
        rest = words[words.index(program) + 1 :]
        assert subcommand_path(_parser(), rest), f"{block.name}: {command}"
    text = block.text.replace("\\\n", " ")
    for line in text.splitlines():
        if not line.lstrip().startswith("curl"):
            continue
        paths = re.findall(r"(?:\$HUB|https?://[\w.:-]+)(/[\w./-]*)", line)
        assert paths, f"{block.name}: curl to where? {line}"
        assert set(paths) <= ENDPOINTS, f"{block.name}: no such endpoint in {line}"
        if "/oauth/token" in paths:
            assert "grant_type=" in line, f"{block.name}: which grant? {line}"
            if "grant_type=client_credentials" in line:
                assert "purpose=" in line, f"{block.name}: declare the purpose: {line}"
        body = re.search(r"-d '(\{.*\})'", line)
        if body and "/graphql" in paths:
            payload = json.loads(body.group(1))
            assert validation_errors(payload["query"]) == [], f"{block.name}: {line}"


@pytest.mark.parametrize("block", CODE, ids=[b.name for b in CODE])
def test_code_example(block: Block) -> None:
    queries = re.findall(r'"((?:query|mutation|subscription)\b[^"]*\{[^"]*)"', block.text)
    for query in queries:
        assert validation_errors(query) == [], f"{block.name}: {query}"
    if block.language == "python":
        compile(block.text, block.name, "exec")


def graphiql_default_query() -> str:
    source = GRAPHIQL_JS.read_text(encoding="utf-8")
    array = source.split("var DEFAULT_QUERY = [", 1)[1].split("].join", 1)[0]
    lines = []
    for raw in array.splitlines():
        item = raw.strip().rstrip(",")
        if not item:
            continue
        if item.startswith("'"):
            lines.append(item[1:-1])
        else:
            lines.append(json.loads(item))
    return "\n".join(lines)


async def test_graphiqls_default_query_runs_as_it_is(hub_url: str) -> None:
    query = graphiql_default_query()
    assert "citizen(nik:" in query  # the next step, commented, as the browser test expects
    async with (
        aiohttp.ClientSession() as session,
        session.post(hub_url + "/graphql", json={"query": query}) as response,
    ):
        body = await response.json()
    assert response.status == 200, body
    assert "errors" not in body, body
    assert body["data"]["serviceCentres"], body


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_links_lead_somewhere(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert "../shared" not in text, f"{page.name} sends readers to ../shared"
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.split("#", 1)[0]).resolve()
        assert path.exists(), f"{page.name} links to {target}, which does not exist"
