"""resolveIdentity says each record's own status, and tells a family's composition only to a
caller with siak:family (issue 15): a partner with identity:resolve alone is not shown a
minor found on a phone giver's card, nor evidence naming a relation.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import asyncpg
import pytest

from connectors.base import Source
from hub.settings import Settings
from identity.scoring import PhoneLevel
from schema.scopes import IDENTITY
from tests.e2e.conftest import GraphQLClient, grant
from tests.e2e.identity_support import fetch

RESOLVE = """
query($system: SourceSystem!, $id: String!) {
  resolveIdentity(system: $system, identifier: $id) {
    candidates {
      nik status evidence sourceRecords
      records { sourceRecord status confidence evidence }
    }
  }
}
"""
# A phone whose walk-ins tie one NIK both certainly (one ticket) and in doubt (another).
_MIXED = """
SELECT value, nik FROM identity_links
 WHERE system = 'antrian' AND kind = 'PHONE'
 GROUP BY value, nik
HAVING bool_or(status = 'CERTAIN') AND bool_or(status <> 'CERTAIN')
 ORDER BY value LIMIT 1
"""
_THROUGH_A_CARD = """
SELECT value, nik FROM identity_links
 WHERE system = 'antrian' AND kind = 'PHONE' AND status = 'SUGGESTED'
   AND evidence LIKE '%' || $1 || '%'
 ORDER BY value LIMIT 1
"""


async def _row(dsn: str, sql: str, *args: object) -> asyncpg.Record:
    rows = await fetch(dsn, sql, *args)
    assert rows, f"the test city has no case for {sql}"
    return rows[0]


async def _resolve(client: GraphQLClient, system: str, identifier: str) -> list[dict[str, Any]]:
    body = await client.post(RESOLVE, system=system, id=identifier)
    assert "errors" not in body, body["errors"]
    candidates: list[dict[str, Any]] = body["data"]["resolveIdentity"]["candidates"]
    return candidates


@pytest.fixture
async def resolver(hub_url: str, hub_settings: Settings) -> Any:
    """A partner with identity:resolve alone."""
    headers = await grant(hub_settings, frozenset({IDENTITY}), name="qa-resolve")
    async with aiohttp.ClientSession() as session:
        yield GraphQLClient(session, hub_url, headers)


async def test_a_record_in_doubt_is_never_listed_under_a_certain_candidate(
    gql: GraphQLClient, city_dsns: dict[Source | str, str]
) -> None:
    mixed = await _row(city_dsns["hub"], _MIXED)
    candidates = await _resolve(gql, "ANTRIAN", mixed["value"])
    (candidate,) = [c for c in candidates if c["nik"] == mixed["nik"]]
    assert candidate["status"] == "CERTAIN"
    statuses = {r["sourceRecord"]: r["status"] for r in candidate["records"]}
    assert set(statuses.values()) >= {"CERTAIN", "SUGGESTED"}
    assert candidate["sourceRecords"] == sorted(r for r, s in statuses.items() if s == "CERTAIN")
    doubtful = [r for r in candidate["records"] if r["status"] != "CERTAIN"]
    assert all(r["evidence"] and r["confidence"] < 1 for r in doubtful)


async def test_a_minor_on_a_phone_givers_card_is_shown_only_with_siak_family(
    gql: GraphQLClient, resolver: GraphQLClient, city_dsns: dict[Source | str, str]
) -> None:
    minor = await _row(city_dsns["hub"], _THROUGH_A_CARD, PhoneLevel.YOUNG.value)
    family = await _resolve(gql, "ANTRIAN", minor["value"])
    assert minor["nik"] in {c["nik"] for c in family}
    assert "on the card" in str(family)  # the relation the evidence names
    resolved = await _resolve(resolver, "ANTRIAN", minor["value"])
    assert resolved and minor["nik"] not in {c["nik"] for c in resolved}
    assert "on the card" not in str(resolved)
