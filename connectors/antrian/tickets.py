"""Antrian's synthetic tickets, written one day-and-service queue at a time.

Who holds each ticket, how it was taken and how it ended are drawn here, with
every deliberate mess counted: online bookings from the neighbouring regencies,
NIKs with separators, phones in other formats, walk-ins with only a phone (a few
of them numbers no citizen uses).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from connectors.antrian.catalogue import CentreSpec, ServiceSpec, service_code
from connectors.antrian.records import TicketChannel, TicketStatus
from connectors.base import TableRows
from connectors.city import REFERENCE_DATE, new_phone
from connectors.mess import LegacyMess

if TYPE_CHECKING:
    from connectors.city import City, Person

NOW = time(11, 30)  # when the reference date's queue is looked at
ONLINE_SHARE = 0.45
PHONE_ONLY_SHARE = 0.6  # walk-ins who give the kiosk a phone and no NIK
UNKNOWN_PHONE_SHARE = 0.06  # of those, numbers that no citizen gave any office
OUT_OF_CITY_RATE = 0.03  # online bookings by people registered in a neighbouring regency
SEPARATOR_RATE = 0.03
PHONE_REFORMAT_RATE = 0.08
Status = TicketStatus


@dataclass(frozen=True, slots=True)
class Slot:
    """One queue: a day, a centre, a service."""

    day: date
    centre: CentreSpec
    service: ServiceSpec


class TicketWriter:
    """Appends ``tiket`` rows and counts the mess, from one random stream."""

    def __init__(
        self,
        city: City,
        rng: random.Random,
        counters: dict[str, list[str]],
        seen_phones: set[str] | None = None,
    ) -> None:
        self.city = city
        self.rng = rng
        self.counters = counters
        self.rows = TableRows(
            (
                "id_tiket",
                "nomor_tiket",
                "tanggal",
                "kode_layanan",
                "kode_loket",
                "nik",
                "no_hp",
                "nama",
                "status",
                "sumber",
                "waktu_ambil",
                "waktu_panggil",
                "waktu_selesai",
            )
        )
        self.messy = dict.fromkeys(
            ("out_of_city", "walk_in_phone_only", "walk_in_unknown_phone"), 0
        )
        self.mess = LegacyMess(rng, nik_share=SEPARATOR_RATE, phone_share=PHONE_REFORMAT_RATE)
        # KTP-holding age: 17 and over.
        adult_born = REFERENCE_DATE.replace(year=REFERENCE_DATE.year - 17)
        self.adults = [p for p in city.people if p.birth_date <= adult_born and p.phone]
        self.known_phones = {p.phone for p in city.people if p.phone}
        # A walk-in who gives only a phone has given it to some office before: when
        # the draw is someone no other product recorded a phone for, a second stream
        # picks someone they did (the first stream draws exactly as it always has).
        self.seen_adults = (
            [p for p in self.adults if p.phone in seen_phones] if seen_phones is not None else []
        )
        self.known_to_offices = {p.phone for p in self.seen_adults}
        self.side = city.rng("antrian:walk-ins")
        # (row index, holder) of each walk-in with a citizen's phone and no NIK.
        self.walk_ins: list[tuple[int, Person]] = []

    def counts(self) -> dict[str, int]:
        """Every kind of mess made so far, counted."""
        return {
            "nik_with_separators": self.mess.nik_with_separators,
            "out_of_city": self.messy["out_of_city"],
            "phone_reformatted": self.mess.phone_reformatted,
            "walk_in_phone_only": self.messy["walk_in_phone_only"],
            "walk_in_unknown_phone": self.messy["walk_in_unknown_phone"],
        }

    def slot(self, slot: Slot, visitors: list[Person | None]) -> None:
        """The queue of one slot: ``None`` draws a visitor, a person is a showcase booking."""
        rng = self.rng
        opens = datetime.combine(slot.day, slot.centre.opens)
        today = slot.day == REFERENCE_DATE
        closes = datetime.combine(slot.day, NOW if today else slot.centre.closes)
        # Nobody takes a ticket in the last hour of a normal day.
        span = (closes - opens).total_seconds() - (0 if today else 3600)
        arrivals = sorted(rng.random() for _ in visitors)
        last_called = opens
        for number, (booked, at) in enumerate(zip(visitors, arrivals, strict=True), start=1):
            arrival = opens + timedelta(seconds=int(span * at))
            online = booked is not None or rng.random() < ONLINE_SHARE
            holder = self._holder(booked, online)
            status = self._status(booked is not None, online, today, number, slot)
            called = self._write(slot, number, arrival, last_called, online, status, holder)
            last_called = called or last_called

    def _holder(
        self, booked: Person | None, online: bool
    ) -> tuple[str | None, str | None, str | None]:
        rng = self.rng
        if booked is not None:
            return booked.nik, booked.phone, booked.name
        if online and rng.random() < OUT_OF_CITY_RATE:
            person = self.city.outsider(rng)
            self.messy["out_of_city"] += 1
        elif not online and rng.random() < PHONE_ONLY_SHARE:
            self.messy["walk_in_phone_only"] += 1
            if rng.random() < UNKNOWN_PHONE_SHARE:
                self.messy["walk_in_unknown_phone"] += 1
                return None, self.mess.phone(self._unknown_phone()), None
            walker = rng.choice(self.adults)
            if self.seen_adults and walker.phone not in self.known_to_offices:
                walker = self.side.choice(self.seen_adults)
            self.walk_ins.append((len(self.rows.rows), walker))
            return None, self.mess.phone(walker.phone), None
        else:
            person = rng.choice(self.adults)
        # The NIK draws before the phone, as the rows were always drawn.
        return self.mess.nik(person.nik), self.mess.phone(person.phone), person.name

    def _status(
        self, booked: bool, online: bool, today: bool, number: int, slot: Slot
    ) -> TicketStatus:
        if today:
            # Mid-morning: the first tickets are at the counters, the rest wait.
            called = not booked and number <= slot.service.counters
            return Status.CALLED if called else Status.WAITING
        if booked:
            return Status.SERVED
        r = self.rng.random()
        if online:
            return Status.CANCELLED if r < 0.06 else Status.NO_SHOW if r < 0.15 else Status.SERVED
        return Status.NO_SHOW if r < 0.05 else Status.SERVED

    def _write(
        self,
        slot: Slot,
        number: int,
        arrival: datetime,
        last_called: datetime,
        online: bool,
        status: TicketStatus,
        holder: tuple[str | None, str | None, str | None],
    ) -> datetime | None:
        """Append one ticket; returns when it was called, if it was."""
        rng = self.rng
        code = service_code(slot.centre.code, slot.service.prefix)
        nik, phone, name = holder
        taken = arrival
        if online:
            booked_on = slot.day - timedelta(days=rng.randint(1, 7))
            taken = datetime.combine(booked_on, time(rng.randint(6, 22), rng.randint(0, 59)))
        called = served = None
        counter = None
        if status is Status.CALLED:
            now = datetime.combine(slot.day, NOW)
            called = max(arrival, now - timedelta(minutes=rng.randint(1, 12)))
        elif status in (Status.SERVED, Status.NO_SHOW):
            # Called in number order, never before the holder arrived.
            called = max(
                arrival + timedelta(minutes=rng.randint(2, 10)),
                last_called + timedelta(minutes=rng.randint(0, 4), seconds=rng.randint(0, 59)),
            )
        if called is not None:
            counter = rng.choice(self.counters[code])
        if status is Status.SERVED and called is not None:
            served = called + timedelta(minutes=rng.randint(4, 25))
        channel = TicketChannel.ONLINE if online else TicketChannel.WALK_IN
        self.rows.rows.append(
            (
                100_001 + len(self.rows.rows),
                f"{slot.service.prefix}-{number:03d}",
                slot.day,
                code,
                counter,
                nik,
                phone,
                name,
                status.value,
                channel.value,
                taken,
                called,
                served,
            )
        )
        return called

    def _unknown_phone(self) -> str:
        while True:
            phone = new_phone(self.rng)
            if phone not in self.known_phones:
                return phone
