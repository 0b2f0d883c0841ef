"""A steward's decision holds (issue 15): an acceptance survives a sync that re-learns the
walk-in model while the record's comparison levels hold; a rejection taken while a sync
runs is not undone by it; a record is served to one citizen at most; and a link edited
by hand in the hub database is repaired by the next sync.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

import identity.links
from connectors.base import Source, SourceDB
from connectors.crosswalk import review
from hub.identity import store
from hub.identity.sync import sync
from identity.scoring import NONE, Model
from tests.conftest import ScratchDatabases
from tests.integration.conftest import migrated_hub

_ROW = """
SELECT link_key, kind, value, system, record, nik, method, confidence, via, in_register,
       status, evidence, fingerprint, checksum
  FROM identity_links WHERE link_key = $1
"""
_DECIDED = """
SELECT d.decision FROM identity_links l
  JOIN identity_decisions d ON d.link_key = l.link_key AND d.fingerprint = l.fingerprint
 WHERE l.link_key = $1
"""
# A walk-in whose ticket has two candidates in doubt: what a steward chooses between.
_TWO_CANDIDATES = """
SELECT record, array_agg(encode(link_key, 'hex') ORDER BY link_key) AS ids
  FROM identity_links
 WHERE system = 'antrian' AND kind = 'QUEUE_TICKET' AND status = 'SUGGESTED'
   AND record NOT IN (SELECT record FROM identity_links
                       WHERE system = 'antrian' AND status = 'CERTAIN')
 GROUP BY record HAVING count(DISTINCT nik) >= 2
 ORDER BY record LIMIT 1
"""


@pytest.fixture
async def hub(
    test_databases: ScratchDatabases, admin_dsn: str, source_dbs: dict[Source, SourceDB]
) -> AsyncIterator[asyncpg.Pool[Any]]:
    """A migrated hub database, synced once from the test city."""
    async with migrated_hub(test_databases, admin_dsn, "decisions") as made:
        async with made.pool.acquire() as conn:
            await sync(source_dbs, conn)
        yield made.pool


async def _two_candidates(hub: asyncpg.Pool[Any]) -> list[str]:
    row = await hub.fetchrow(_TWO_CANDIDATES)
    assert row is not None, "the test city has a walk-in with two candidates in doubt"
    ids: list[str] = row["ids"]
    return ids


def _relearnt(monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk-in model as one more ticket would leave it: every weight moved a little."""
    learnt = identity.links.estimate

    def estimate(tickets: Any) -> Model:
        model = learnt(tickets)
        model.theta = {k: v * (1.4 if k == NONE else 1.0) for k, v in model.theta.items()}
        return model

    monkeypatch.setattr(identity.links, "estimate", estimate)


async def test_an_acceptance_survives_re_learnt_weights_while_the_levels_hold(
    hub: asyncpg.Pool[Any],
    source_dbs: dict[Source, SourceDB],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = (await _two_candidates(hub))[0]
    async with hub.acquire() as conn:
        decided = await review.decide(conn, first, review.ACCEPTED, "knows her", "steward")
    assert first in [p.id for p in decided]
    key = bytes.fromhex(first)
    before = await hub.fetchrow(_ROW, key)
    _relearnt(monkeypatch)
    async with hub.acquire() as conn:
        again = await sync(source_dbs, conn, full=True)
    after = await hub.fetchrow(_ROW, key)
    # The numbers shown are the new model's (the link was rewritten) ...
    assert again.links.updated > 0 and after["evidence"] != before["evidence"]
    # ... and the steward's acceptance still holds: the levels are what they saw.
    assert await hub.fetchval(_DECIDED, key) == review.ACCEPTED
    assert after["fingerprint"] == before["fingerprint"]


async def test_the_sql_fingerprint_of_every_link_is_the_syncs(hub: asyncpg.Pool[Any]) -> None:
    # Migration 011 re-tied the decisions with identity_link_basis: it must be the sync's.
    differing = await hub.fetchval(
        "SELECT count(*) FROM identity_links WHERE fingerprint"
        " <> identity_link_basis(method, via, in_register, status, evidence)"
    )
    assert differing == 0
    assert await hub.fetchval("SELECT count(*) FROM identity_links WHERE evidence ~ 'weight'")


@pytest.mark.parametrize("full", [False, True])
async def test_a_link_edited_by_hand_is_repaired_by_the_next_sync(
    full: bool, hub: asyncpg.Pool[Any], source_dbs: dict[Source, SourceDB]
) -> None:
    key = await hub.fetchval(
        "SELECT link_key FROM identity_links WHERE status = 'SUGGESTED' ORDER BY link_key"
    )
    synced = await hub.fetchrow(_ROW, key)
    await hub.execute(
        "UPDATE identity_links SET status = 'CERTAIN', confidence = 1, evidence = NULL"
        " WHERE link_key = $1",
        key,
    )
    async with hub.acquire() as conn:
        repaired = await sync(source_dbs, conn, full=full)
    assert repaired.relinked
    assert (repaired.links.inserted, repaired.links.updated) == (0, 1)
    assert await hub.fetchrow(_ROW, key) == synced
    async with hub.acquire() as conn:
        assert not (await sync(source_dbs, conn)).relinked


async def test_a_rejection_taken_while_a_sync_links_is_not_undone(
    hub: asyncpg.Pool[Any],
    source_dbs: dict[Source, SourceDB],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rejected = (await _two_candidates(hub))[0]
    apply_sync = store.apply_sync

    async def rejecting_meanwhile(*args: Any) -> tuple[store.Changes, store.Changes]:
        # The sync has read the rejections and linked; a steward rejects before it writes.
        async with hub.acquire() as other:
            await review.decide(other, rejected, review.REJECTED, "not her", "steward")
        return await apply_sync(*args)

    monkeypatch.setattr(store, "apply_sync", rejecting_meanwhile)
    async with hub.acquire() as conn:
        await sync(source_dbs, conn, full=True)
    gone = "SELECT count(*) = 0 FROM identity_links WHERE encode(link_key, 'hex') = $1"
    assert await hub.fetchval(gone, rejected)


async def test_a_decision_waits_for_a_sync_writing(hub: asyncpg.Pool[Any]) -> None:
    first = (await _two_candidates(hub))[0]
    async with hub.acquire() as syncing, syncing.transaction():
        await syncing.execute("SELECT pg_advisory_xact_lock($1)", review.SYNC_LOCK)

        async def decide() -> list[review.Pending]:
            async with hub.acquire() as conn:
                return await review.decide(conn, first, review.REJECTED, "not her", "steward")

        deciding = asyncio.ensure_future(decide())
        await asyncio.sleep(0.5)
        assert not deciding.done()
    assert first in [p.id for p in await deciding]


async def test_a_record_accepted_for_one_citizen_is_not_accepted_for_another(
    hub: asyncpg.Pool[Any],
) -> None:
    first, second = (await _two_candidates(hub))[:2]
    async with hub.acquire() as conn:
        await review.decide(conn, first, review.ACCEPTED, "knows her", "steward")
        refused = "already served to another citizen: link [0-9a-f]{12} is accepted; reject it"
        with pytest.raises(review.ReviewError, match=refused):
            await review.decide(conn, second, review.ACCEPTED, "or him", "steward")
        assert await conn.fetchval(_DECIDED, bytes.fromhex(second)) is None
        # Rejecting the first frees the record for the second.
        await review.decide(conn, first, review.REJECTED, "was not her", "steward")
        await review.decide(conn, second, review.ACCEPTED, "him", "steward")
        assert await conn.fetchval(_DECIDED, bytes.fromhex(second)) == review.ACCEPTED


async def test_a_record_is_not_served_to_another_citizen_through_a_sibling_link(
    hub: asyncpg.Pool[Any],
) -> None:
    # Accepting a link accepts the record's other links of that NIK: each is checked, not
    # only the one the steward named.
    first, second = (await _two_candidates(hub))[:2]
    async with hub.acquire() as conn:
        accepted = await review.decide(conn, first, review.ACCEPTED, "knows her", "steward")
        ticket = next(p for p in accepted if p.kind == "QUEUE_TICKET")
        # The first candidate's phone link goes (edited by hand, or the phone changed):
        # only its ticket link still serves the record.
        phone = next(p for p in accepted if p.kind == "PHONE")
        await conn.execute(
            "DELETE FROM identity_links WHERE encode(link_key, 'hex') = $1", phone.id
        )
        others = await review.show(conn, second)
        by_phone = next(p for p in others[1] if p.nik != ticket.nik and p.kind == "PHONE")
        sibling = next(p for p in others[1] if p.nik != ticket.nik and p.kind == "QUEUE_TICKET")
        named = f"QUEUE_TICKET \\(link {sibling.id[:12]}\\) is already served to another citizen"
        with pytest.raises(review.ReviewError, match=f"{named}: link {ticket.id[:12]} is accepted"):
            await review.decide(conn, by_phone.id, review.ACCEPTED, "or him", "steward")
        # Nothing written: neither of the second candidate's links is decided.
        for link in (by_phone, sibling):
            assert await conn.fetchval(_DECIDED, bytes.fromhex(link.id)) is None


# A second director's link to a vendor's NPWP that one director's certain link holds, in
# doubt: copied from the certain one for another citizen (as a sync linking a director by a
# mistyped NIK makes it; the 10,000-citizen test city has none of its own).
_CO_DIRECTOR = """
CREATE TEMP TABLE co_director ON COMMIT DROP AS
SELECT * FROM identity_links
 WHERE system = 'lpse' AND record LIKE 'penyedia:%' AND kind = 'NPWP' AND status = 'CERTAIN'
 ORDER BY link_key LIMIT 1;
UPDATE co_director SET link_key = sha256(link_key), status = 'SUGGESTED', confidence = 0.7,
       nik = (SELECT min(nik) FROM identity_links WHERE in_register
               AND nik <> (SELECT nik FROM co_director));
"""


async def test_a_second_director_of_a_vendor_is_accepted_beside_the_first(
    hub: asyncpg.Pool[Any],
) -> None:
    # A company's record is several people's: the one-citizen rule is for a person's.
    async with hub.acquire() as conn:
        async with conn.transaction():
            await conn.execute(_CO_DIRECTOR)
            link = await conn.fetchval(
                "INSERT INTO identity_links SELECT * FROM co_director"
                " RETURNING encode(link_key, 'hex')"
            )
        assert link is not None, "the test city has a vendor with a certain director"
        await review.decide(conn, link, review.ACCEPTED, "a second director", "steward")
        assert await conn.fetchval(_DECIDED, bytes.fromhex(link)) == review.ACCEPTED
