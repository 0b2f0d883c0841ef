"""The synthetic city's phones: one holder per number, as operators hand them out."""

from __future__ import annotations

import random

from connectors.city import build_city, new_phone


def test_a_number_already_held_is_never_handed_out_again() -> None:
    first = new_phone(random.Random(1))
    taken = {first}
    again = new_phone(random.Random(1), taken)  # the same stream draws `first` first
    assert again != first and taken == {first, again}


def test_strangers_never_share_a_number() -> None:
    """Only a child given a parent's phone shares one, and only within the family card."""
    city = build_city(3000, 7)
    cards: dict[str, set[str]] = {}
    for person in city.people:
        if person.phone:
            cards.setdefault(person.phone, set()).add(person.kk)
    assert all(len(kk) == 1 for kk in cards.values())
    outsider = city.outsider(random.Random(2))
    assert outsider.phone not in cards and outsider.phone in city.phones
