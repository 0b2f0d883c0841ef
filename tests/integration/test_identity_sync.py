"""``identity sync`` reruns: nothing read or linked when nothing changed, and after a change
exactly the crosswalk a first sync into an empty hub gives.

Each test syncs into hub databases of its own; a product it changes is a copy of
the test city's (``seeded_product``), so the shared city stays as seeded.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from connectors.base import Source, SourceDB
from connectors.city import City
from hub.cli import main
from hub.identity import fingerprints
from hub.identity import sync as sync_module
from hub.identity.store import Changes
from hub.identity.sync import SIGHTINGS, sync
from identity.sightings import Sighting
from tests.conftest import ScratchDatabases
from tests.integration.conftest import migrated_hub, seeded_product

PRODUCTS = tuple(SIGHTINGS)
# Every column of both tables but the times: what a user of the crosswalk sees.
_LINKS = """
SELECT link_key, kind, value, system, record, nik, method, confidence, via, in_register,
       status, evidence, fingerprint
  FROM identity_links ORDER BY link_key
"""
_FINDINGS = """
SELECT finding_key, system, rule, record, nik, detail, fingerprint
  FROM identity_findings ORDER BY finding_key
"""
_AN_APPLICANT = """
SELECT nik FROM pendaftar WHERE no_hp_ortu IS NOT NULL AND nik ~ '^36710' ORDER BY id LIMIT 1
"""


@pytest.fixture
async def hub(test_databases: ScratchDatabases, admin_dsn: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    """An empty, migrated hub database."""
    async with migrated_hub(test_databases, admin_dsn, "kept") as made:
        yield made.pool


@pytest.fixture
async def hubs(
    hub: asyncpg.Pool[Any], test_databases: ScratchDatabases, admin_dsn: str
) -> AsyncIterator[tuple[asyncpg.Pool[Any], asyncpg.Pool[Any]]]:
    """Two empty, migrated hub databases: ``hub``, synced again and again, and one synced
    once."""
    async with migrated_hub(test_databases, admin_dsn, "fresh") as fresh:
        yield hub, fresh.pool


async def _crosswalk(hub: asyncpg.Pool[Any]) -> tuple[list[asyncpg.Record], ...]:
    return await hub.fetch(_LINKS), await hub.fetch(_FINDINGS)


async def _unread(db: SourceDB) -> list[Sighting]:
    raise AssertionError(f"{db.source.name}'s sightings were read")


async def test_a_rerun_with_nothing_changed_reads_no_product_row_and_links_nothing(
    source_dbs: dict[Source, SourceDB],
    hub: asyncpg.Pool[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with hub.acquire() as conn:
        first = await sync(source_dbs, conn)
    assert first.relinked and first.links.inserted == first.links.total > 1000
    before = {s: db.statements for s, db in source_dbs.items()}
    for source in PRODUCTS:
        monkeypatch.setitem(SIGHTINGS, source, _unread)
    monkeypatch.setattr(sync_module, "link", lambda *_: pytest.fail("linked again"))
    async with hub.acquire() as conn:
        again = await sync(source_dbs, conn)
    assert not again.relinked
    assert again.links == Changes(first.links.total, 0, 0, 0)
    assert again.findings == Changes(first.findings.total, 0, 0, 0)
    assert again.records == first.records
    # Each product was sent one statement: its fingerprint, computed by its server.
    sent = {s: source_dbs[s].statements - before[s] for s in PRODUCTS}
    assert sent == dict.fromkeys(PRODUCTS, 1)
    syncs = await hub.fetch("SELECT relinked, links FROM identity_syncs ORDER BY id")
    assert [(r["relinked"], r["links"]) for r in syncs] == [
        (True, first.links.total),
        (False, first.links.total),
    ]


@pytest.mark.parametrize(
    ("source", "change"),
    [
        # The applicant of NIK $1 retyped as an unknown NIK, their parent's phone replaced.
        (
            Source.PSB,
            "UPDATE pendaftar SET nik = '3671019999990001', no_hp_ortu = '081299990001'"
            " WHERE regexp_replace(nik, '[^0-9]', '', 'g') = $1",
        ),
        # SIAK renames the holder of NIK $1: the applicant's record now names someone else.
        (Source.SIAK, "UPDATE penduduk SET nama_lengkap = 'YOHANES PAULUS' WHERE nik = $1"),
    ],
)
async def test_after_one_source_changed_the_crosswalk_is_a_first_syncs(
    source: Source,
    change: str,
    source_dbs: dict[Source, SourceDB],
    hubs: tuple[asyncpg.Pool[Any], asyncpg.Pool[Any]],
    test_databases: ScratchDatabases,
    admin_dsn: str,
    city: City,
) -> None:
    kept, fresh = hubs
    applicant = await source_dbs[Source.PSB].fetch(_AN_APPLICANT)
    nik = re.sub(r"[^0-9]", "", applicant[0]["nik"])
    label = f"changed_{source.value}"
    async with seeded_product(test_databases, admin_dsn, city, source, label) as copy:
        sources = {**source_dbs, source: copy}
        async with kept.acquire() as conn:
            await sync(sources, conn)
            before = await _crosswalk(kept)
            assert not (await copy.pool.execute(change, nik)).endswith(" 0")
            again = await sync(sources, conn)
        async with fresh.acquire() as conn:
            first = await sync(sources, conn)
    assert again.relinked and again.links.touched + again.findings.touched > 0
    after = await _crosswalk(kept)
    assert after != before
    assert after == await _crosswalk(fresh)
    assert again.links.total == first.links.total


async def test_a_rejection_or_another_linker_links_again(
    source_dbs: dict[Source, SourceDB],
    hub: asyncpg.Pool[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with hub.acquire() as conn:
        await sync(source_dbs, conn)
        key = await conn.fetchval(
            "SELECT link_key FROM identity_links WHERE status <> 'CERTAIN' ORDER BY link_key"
        )
        assert key is not None
        # A decision written without the review's own deletion: only the sync removes it.
        await conn.execute(
            "INSERT INTO identity_decisions (link_key, decision, fingerprint, reason, decided_by)"
            " VALUES ($1, 'REJECTED', '\\x00', 'test', 'test')",
            key,
        )
        rejected = await sync(source_dbs, conn)
        assert rejected.relinked and rejected.links.removed == 1
        gone = "SELECT count(*) = 0 FROM identity_links WHERE link_key = $1"
        assert await conn.fetchval(gone, key)
        monkeypatch.setattr(fingerprints, "linker_version", lambda: "another linker")
        relinked = await sync(source_dbs, conn)
        assert relinked.relinked and relinked.links.touched == 0
        assert not (await sync(source_dbs, conn)).relinked


async def test_every_product_reads_its_sightings_in_the_one_statement_fingerprinted(
    source_dbs: dict[Source, SourceDB],
) -> None:
    for source, read in SIGHTINGS.items():
        recording = _Recording(source, source_dbs[source].pool)
        assert await read(recording)
        assert recording.sent == [fingerprints.SIGHTINGS[source]], source


async def test_a_fingerprint_ignores_order_and_sees_every_change(
    hub: asyncpg.Pool[Any],
) -> None:
    async def of(values: str) -> str:
        value: str = await hub.fetchval(
            fingerprints.of_rows(f"SELECT * FROM (VALUES {values}) v (n, s)")
        )
        return value

    rows = await of("(1, 'a'), (2, 'b')")
    assert rows == await of("(2, 'b'), (1, 'a')")
    assert rows != await of("(1, 'a'), (2, 'c')")
    assert rows != await of("(1, 'a'), (2, 'b'), (2, 'b')")
    assert rows != await of("(1, 'b'), (2, 'a')")
    assert rows != await of("(1, 'a'), (2, NULL)")


def test_the_command_says_when_nothing_changed_and_full_links_anyway(
    city_dsns: dict[Source | str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("CITIZEN_HUB_CONFIG", raising=False)
    for source in Source:
        monkeypatch.setenv(f"CITIZEN_HUB_{source.name}_DSN", city_dsns[source])
    monkeypatch.setenv("CITIZEN_HUB_HUB_DSN", city_dsns["hub"])
    assert main(["identity", "sync", "--full"]) == 0
    out = capsys.readouterr().out
    assert "records read: PSB" in out and "nothing changed" not in out
    assert re.search(r"links: \d+ now; 0 inserted, 0 updated, 0 removed", out), out
    assert main(["identity", "sync"]) == 0
    out = capsys.readouterr().out
    assert "nothing changed since the last sync" in out and "(check " in out


class _Recording(SourceDB):
    """A product database that notes each statement sent."""

    def __init__(self, source: Source, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(source, pool)
        self.sent: list[str] = []

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        self.sent.append(sql)
        return await super().fetch(sql, *args)
