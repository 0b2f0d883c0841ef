"""The hub composed into a supergraph with another agency's subgraph, behind a real gateway.

``supergraph.mjs`` (Node, packages pinned in this folder's package-lock.json) reads
the hub's ``_service { sdl }``, composes it with a stand-in for Dinas Sosial's
register of social assistance (which extends ``Citizen`` by ``nik``) using Apollo's
composition, and serves both through Apollo Gateway, which forwards the caller's
Authorization and X-Purpose. Queries sent to the gateway span both subgraphs; the
hub's access policy and disclosure log apply to what reaches it that way, whichever
subgraph the query starts from.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from connectors.city import Family
from hub.audit import DisclosureLog
from hub.settings import Settings
from tests.e2e.conftest import citizen_headers, grant
from tests.e2e.test_access import claims_of

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
NODE = shutil.which("node")
GATEWAY_PACKAGE = HERE / "node_modules" / "@apollo" / "gateway"
READY_SECONDS = 60

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not installed (apt-get install nodejs npm)"),
    pytest.mark.skipif(
        not GATEWAY_PACKAGE.is_dir(),
        reason="tests/federation/node_modules is missing: run `make node-deps` (npm ci)",
    ),
]

SPANNING = """
query($n: NIK!) {
  citizen(nik: $n) { nik fullName socialAssistance { programme } }
}
"""
RECIPIENTS = """
query($p: String!) {
  assistanceRecipients(programme: $p) { nik fullName socialAssistance { programme } }
}
"""


@dataclass(frozen=True)
class Supergraph:
    gateway: str  # the gateway's GraphQL URL
    citizen_fields: list[str]


@pytest.fixture(scope="module")
def recipients(family: Family, other_family: Family) -> dict[str, list[str]]:
    """Who receives which programme in the stand-in: the first family's head in all,
    the other family's head (a stranger to the first) in BPNT."""
    spouse = next(m for m in family.members if m.nik != family.head.nik)
    return {
        "PKH": [family.head.nik, spouse.nik],
        "BPNT": [family.head.nik, other_family.head.nik],
        "PBI-JK": [family.head.nik],
    }


@pytest.fixture(scope="module")
async def supergraph(hub_url: str, recipients: dict[str, list[str]]) -> AsyncIterator[Supergraph]:
    assert NODE is not None
    with tempfile.TemporaryFile() as stderr:
        process = await asyncio.create_subprocess_exec(
            NODE,
            str(HERE / "supergraph.mjs"),
            hub_url,
            json.dumps(recipients),
            cwd=HERE,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
        try:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), READY_SECONDS)
            word, _, rest = line.decode().partition(" ")
            ready = json.loads(rest) if word in ("READY", "FAILED") else {"output": line}
            if word != "READY":
                stderr.seek(0)
                pytest.fail(
                    f"the supergraph did not start: {ready or 'no output'}\n"
                    + stderr.read().decode(errors="replace")[-2000:],
                    pytrace=False,
                )
            yield Supergraph(ready["gateway"], ready["citizenFields"])
        finally:
            await _stop(process)


async def _stop(process: asyncio.subprocess.Process) -> None:
    """Close its standard input (the script then stops its servers), then make sure."""
    if process.stdin is not None:
        process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), 10)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def through(
    supergraph: Supergraph, headers: dict[str, str], query: str, **variables: Any
) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            supergraph.gateway, json={"query": query, "variables": variables}, headers=headers
        ) as response,
    ):
        body: dict[str, Any] = await response.json()
        return body


async def log_of(settings: Settings, niks: list[str]) -> dict[str, list[Any]]:
    assert settings.hub_dsn is not None
    pool = await asyncpg.create_pool(settings.hub_dsn, min_size=1, max_size=1)
    try:
        return await DisclosureLog(pool).access_log(niks, 200)
    finally:
        await pool.close()


def codes(body: dict[str, Any]) -> set[str]:
    """Each error's code, as the gateway passes on the hub's."""
    return {str(e.get("extensions", {}).get("code")) for e in body.get("errors", [])}


def reasons(body: dict[str, Any]) -> set[str]:
    return {str(e.get("extensions", {}).get("reason")) for e in body.get("errors", [])}


async def test_the_supergraph_composes_citizen_from_both_subgraphs(
    supergraph: Supergraph,
) -> None:
    assert {"nik", "fullName", "schoolAdmissions", "socialAssistance"} <= set(
        supergraph.citizen_fields
    )


async def test_the_checked_in_schema_composes_as_the_hubs_subgraph() -> None:
    """schema.graphql adds the Federation directives' definitions to the subgraph SDL (so
    any tool reads it alone): composition must still accept it, for an operator who
    composes from the file where _service is switched off with introspection."""
    assert NODE is not None
    process = await asyncio.create_subprocess_exec(
        NODE,
        str(HERE / "compose.mjs"),
        str(ROOT / "schema.graphql"),
        cwd=HERE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), READY_SECONDS)
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    assert json.loads(out) == {"composed": True}


async def test_a_partners_query_spans_both_and_each_citizen_is_logged_for_it(
    supergraph: Supergraph, hub_settings: Settings, family: Family, recipients: dict[str, Any]
) -> None:
    partner = await grant(hub_settings, name="qa-gateway-partner", purpose="qa-gateway")
    client_id = claims_of(partner)["client_id"]

    body = await through(supergraph, partner, SPANNING, n=family.head.nik)
    assert "errors" not in body, body
    citizen = body["data"]["citizen"]
    assert citizen["fullName"] == family.head.name  # from the hub
    assert {b["programme"] for b in citizen["socialAssistance"]} == set(recipients)  # Dinsos

    # Starting from the other subgraph: the gateway completes each recipient through
    # the hub's _entities.
    body = await through(supergraph, partner, RECIPIENTS, p="PKH")
    assert "errors" not in body, body
    answered = {c["nik"]: c["fullName"] for c in body["data"]["assistanceRecipients"]}
    spouse = next(m for m in family.members if m.nik == recipients["PKH"][1])
    assert answered == {family.head.nik: family.head.name, spouse.nik: spouse.name}

    log = await log_of(hub_settings, [family.head.nik, spouse.nik])
    mine = {nik: [e for e in entries if e.client_id == client_id] for nik, entries in log.items()}
    assert len(mine[family.head.nik]) == 2  # once per query, each naming the caller
    assert len(mine[spouse.nik]) == 1
    assert all(e.purpose == "qa-gateway" and "fullName" in e.fields for e in mine[spouse.nik])


async def test_a_citizen_token_through_the_gateway_cannot_read_a_stranger(
    supergraph: Supergraph, hub_settings: Settings, family: Family, other_family: Family
) -> None:
    citizen = await citizen_headers(hub_settings, family.head.nik)
    stranger = other_family.head
    before = await log_of(hub_settings, [stranger.nik])

    body = await through(supergraph, citizen, SPANNING, n=stranger.nik)
    assert stranger.name not in json.dumps(body)
    assert body["data"]["citizen"] is None
    assert codes(body) == {"FORBIDDEN"} and reasons(body) == {"not_own_data"}

    # BPNT lists the citizen and the stranger: the hub refuses the batch the gateway
    # sends to its _entities, so no name arrives, not even the citizen's own.
    body = await through(supergraph, citizen, RECIPIENTS, p="BPNT")
    assert stranger.name not in json.dumps(body)
    assert family.head.name not in json.dumps(body)
    assert codes(body) == {"FORBIDDEN"} and reasons(body) == {"not_own_data"}

    # The citizen's own record, reached the same way, arrives.
    body = await through(supergraph, citizen, RECIPIENTS, p="PBI-JK")
    assert "errors" not in body, body
    [own] = body["data"]["assistanceRecipients"]
    assert own["fullName"] == family.head.name

    # Nothing disclosed: the newest entry is the one before (a count of a capped read
    # of a much-read citizen's log would stay the same either way).
    after = await log_of(hub_settings, [stranger.nik])
    assert after[stranger.nik][:1] == before[stranger.nik][:1]


async def test_without_a_token_the_gateway_gets_no_citizen_from_the_hub(
    supergraph: Supergraph, family: Family
) -> None:
    body = await through(supergraph, {}, SPANNING, n=family.head.nik)
    assert family.head.name not in json.dumps(body)
    assert codes(body) == {"UNAUTHENTICATED"}  # the hub's 401, as the gateway passes it on
    assert not (body.get("data") or {}).get("citizen")
