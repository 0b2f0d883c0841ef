"""What walk-ins tell the kiosk besides a phone, set on a few tickets after they are written.

- ``walk_in_with_name``: a share of walk-ins type their name too, which the hub
  uses to be surer of (or to doubt) a match by phone.
- ``walk_in_shared_phone``: walk-ins giving a phone that two applicants left at
  APK (its ``shared_phones`` export), so their ticket matches two people.
- Each showcase head also took one walk-in ticket with only his phone, so the
  demo shows a ticket matched to him by phone.

A stream of its own decides, so every other ticket is what it always was. Only
tickets whose phone was stored plain get another phone: the count of reformatted
phones stays exact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.mess import stored_plain

if TYPE_CHECKING:
    from connectors.antrian.tickets import TicketWriter
    from connectors.city import City

NAMED_SHARE = 0.2


def finish_walk_ins(city: City, tickets: TicketWriter, shared_phones: list[str]) -> dict[str, int]:
    """Give the showcase heads, the shared phones and some names to walk-in tickets."""
    rng = city.rng("antrian:identity")
    rows = tickets.rows.rows
    phone_at = tickets.rows.columns.index("no_hp")
    walk_ins = list(tickets.walk_ins)
    rng.shuffle(walk_ins)
    plain = [w for w in walk_ins if stored_plain(rows[w[0]][phone_at])]
    heads = [f.head.phone for f in city.showcase if f.head.phone]
    phones = [*heads, *shared_phones]
    rephoned: set[int] = set()
    for (index, _), phone in zip(plain, phones, strict=False):
        tickets.rows.replace(index, "no_hp", phone)
        rephoned.add(index)
    named = 0
    for index, walker in walk_ins:
        if index not in rephoned and rng.random() < NAMED_SHARE:
            tickets.rows.replace(index, "nama", walker.name)
            named += 1
    shared = min(len(shared_phones), max(0, len(rephoned) - len(heads)))
    return {"walk_in_with_name": named, "walk_in_shared_phone": shared}
