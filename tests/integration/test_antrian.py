"""Antrian reads against the seeded test city on a real PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from connectors.antrian.reads import (
    WIB,
    referenced_niks,
    service_centres,
    tickets_by_id,
    tickets_by_nik,
    tickets_by_phone,
)
from connectors.antrian.records import TicketChannel, TicketStatus
from connectors.base import Source, SourceDB
from connectors.city import REFERENCE_DATE, City
from connectors.seeding import SeedReport
from identity.phone import canonical_phone
from tests.integration.conftest import assert_only_out_of_city_unregistered


@pytest.fixture
def db(source_dbs: dict[Source, SourceDB]) -> SourceDB:
    return source_dbs[Source.ANTRIAN]


async def test_showcase_head_was_served_last_month_and_waits_today(
    db: SourceDB, city: City
) -> None:
    heads = [f.head for f in city.showcase]
    found = await tickets_by_nik(db, [h.nik for h in heads])
    for head in heads:
        online = [t for t in found[head.nik] if t.channel is TicketChannel.ONLINE]
        assert all(t.nik == head.nik and t.phone == head.phone for t in online)
        (today,) = [t for t in online if t.visit_date == REFERENCE_DATE]
        assert today.status is TicketStatus.WAITING
        assert today.counter is None and today.called_at is None
        assert today.centre_name == "Gerai MPP Tangcity Mall"
        assert re.fullmatch(r"A-\d{3}", today.number)
        assert today.taken_at.tzinfo is WIB and today.taken_at.date() < REFERENCE_DATE
        served = [t for t in online if t.status is TicketStatus.SERVED]
        last = next(t for t in served if t.visit_date.month == 10)
        assert last.centre_name == "MPP Kota Tangerang"
        assert last.agency == "Disdukcapil Kota Tangerang"
        assert last.counter is not None and last.counter.startswith("Loket ")
        assert last.called_at is not None and last.served_at is not None
        assert last.taken_at < last.called_at < last.served_at
        assert (last.served_at - last.called_at) < timedelta(hours=1)
        dates = [t.visit_date for t in found[head.nik]]
        assert dates == sorted(dates, reverse=True)


async def test_niks_typed_with_separators_are_found_by_their_digits(
    db: SourceDB, seed_report: SeedReport
) -> None:
    rows = await db.fetch("SELECT nik, id_tiket FROM tiket WHERE nik ~ '[^0-9]'")
    assert len(rows) == seed_report.sources[Source.ANTRIAN].messy["nik_with_separators"] > 0
    clean = {re.sub(r"[^0-9]", "", r["nik"]): str(r["id_tiket"]) for r in rows}
    found = await tickets_by_nik(db, list(clean))
    for nik, ticket_id in clean.items():
        assert ticket_id in {t.id for t in found[nik]}
        assert all(t.nik == nik for t in found[nik])


async def test_walk_ins_with_only_a_phone_are_found_by_that_phone(
    db: SourceDB, city: City, seed_report: SeedReport
) -> None:
    messy = seed_report.sources[Source.ANTRIAN].messy
    rows = await db.fetch("SELECT id_tiket, no_hp FROM tiket WHERE nik IS NULL")
    assert len(rows) == messy["walk_in_phone_only"] > 0
    reformatted = await db.fetch("SELECT count(*) AS n FROM tiket WHERE no_hp !~ '^08[0-9]+$'")
    assert reformatted[0]["n"] == messy["phone_reformatted"] > 0
    typed = [r["no_hp"] for r in rows]
    found = await tickets_by_phone(db, [*typed, "not a phone"])
    assert all(re.fullmatch(r"08\d{9,11}", key) for key in found)
    for row in rows:
        phone = canonical_phone(row["no_hp"])
        assert phone is not None
        (ticket,) = [t for t in found[phone] if t.id == str(row["id_tiket"])]
        assert ticket.channel is TicketChannel.WALK_IN
        assert ticket.nik is None and ticket.phone == phone
    people = {p.phone for p in city.people}
    unknown = [p for p in map(canonical_phone, typed) if p not in people]
    assert len(unknown) == messy["walk_in_unknown_phone"] > 0


async def test_tickets_by_id_keep_the_ids_given(db: SourceDB) -> None:
    rows = await db.fetch("SELECT id_tiket FROM tiket ORDER BY id_tiket LIMIT 3")
    ids = [str(r["id_tiket"]) for r in rows]
    found = await tickets_by_id(db, [*ids, "999999999", "A-001"])
    assert sorted(found) == sorted(ids)
    assert all(found[i].id == i for i in ids)


async def test_service_centres_list_services_and_opening_days(db: SourceDB) -> None:
    before = db.statements
    centres = await service_centres(db)
    assert db.statements - before == 1
    by_code = {c.code: c for c in centres}
    main = by_code["MPP01"]
    assert main.name == "MPP Kota Tangerang" and main.open_weekdays == (1, 2, 3, 4, 5)
    assert main.opens_at < main.closes_at
    prefixes = [s.ticket_prefix for s in main.services]
    assert prefixes == sorted(prefixes) and len(set(prefixes)) == len(prefixes)
    assert {s.agency for s in main.services} >= {"Disdukcapil Kota Tangerang", "BPJS Kesehatan"}
    assert all(s.daily_quota > 0 and s.code.startswith("MPP01-") for s in main.services)
    # The reference date is a Sunday: only the mall outlet is open.
    sunday = REFERENCE_DATE.isoweekday()
    assert [c.code for c in centres if sunday in c.open_weekdays] == ["MPP04"]


async def test_one_statement_per_call_whatever_the_number_of_keys(db: SourceDB, city: City) -> None:
    people = city.people
    niks = [p.nik for p in people]
    phones = [p.phone for p in people if p.phone]
    before = db.statements
    await tickets_by_nik(db, niks[:1])
    await tickets_by_nik(db, niks[:2000])
    await tickets_by_phone(db, phones[:1])
    await tickets_by_phone(db, phones[:2000])
    await tickets_by_id(db, [str(n) for n in range(100_001, 102_001)])
    assert db.statements - before == 5


async def test_referenced_niks_outside_the_register_are_exactly_the_out_of_city_rows(
    db: SourceDB, register: frozenset[str], seed_report: SeedReport
) -> None:
    report = seed_report.sources[Source.ANTRIAN]
    referenced = await referenced_niks(db)
    # Walk-ins who gave only a phone reference no NIK.
    with_nik = report.rows["tiket"] - report.messy["walk_in_phone_only"]
    assert_only_out_of_city_unregistered(referenced, register, report, rows=with_nik)
