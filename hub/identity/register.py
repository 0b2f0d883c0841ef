"""What ``identity sync`` asks SIAK before linking: whom the records name, and whom they meant.

Three rounds. First the NIKs and family cards the records name (as the graph asks
them, through the SIAK connector), the deaths, and the cards a phone's givers left.
Then, for the NIKs in doubt (unknown to SIAK, or held by someone the record
does not name), the NIKs one typo away, the cards of that number and the cards of
their holders: the likely intended NIKs are among them (:mod:`identity.evidence`);
and the cards of whoever gives a phone a walk-in gives, and those they left (the
walk-in scoring weighs their families). Last, the cards of whom a mistyped NIK giving
such a phone likely meant, and who left every card read.
Each round is a few statements whatever the city's size.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from connectors.siak import reads as siak_reads
from identity.crosswalk import (
    Register,
    Registered,
    named_niks,
    phone_holders,
    twin_groups,
    wanted,
)
from identity.evidence import doubtful, near_misses, plausible

if TYPE_CHECKING:
    from connectors.base import SourceDB
    from identity.sightings import Sighting

_DEATHS = "SELECT nik, tanggal_meninggal FROM kematian"
# Who left each card (divorce, remarriage): still the person filed under the old card.
_FORMER_MEMBERS = """
SELECT r.no_kk_lama AS no_kk, array_agg(p.nik ORDER BY p.nik) AS nik,
       array_agg(p.nama_lengkap ORDER BY p.nik) AS nama
  FROM riwayat_kk r JOIN penduduk p ON p.nik = r.nik
 WHERE r.no_kk_lama = ANY($1::text[])
 GROUP BY r.no_kk_lama
"""
# The cards each of these people left: a minor still on one may use the phone they give.
_CARDS_LEFT = "SELECT DISTINCT no_kk_lama FROM riwayat_kk WHERE nik = ANY($1::text[])"
# Two NIKs whose holders have the same name, birth date and birthplace.
_POSSIBLE_DUPLICATES = """
SELECT a.nik AS first, b.nik AS second
  FROM penduduk a
  JOIN penduduk b ON b.nama_lengkap = a.nama_lengkap AND b.tanggal_lahir = a.tanggal_lahir
   AND b.jenis_kelamin = a.jenis_kelamin AND b.nik > a.nik
 WHERE a.tempat_lahir IS NOT DISTINCT FROM b.tempat_lahir
 ORDER BY a.nik, b.nik
"""


async def read_register(
    siak: SourceDB, sightings: Sequence[Sighting], twins: Sequence[tuple[str, str]] = ()
) -> Register:
    """SIAK's answers for ``sightings``: every round (see the module's description).

    ``twins``: SIAK's possible duplicates (:func:`possible_duplicates`), handed to the
    linker: a death under one NIK is the death of its twin.
    """
    niks, cards = wanted(sightings)
    holders = phone_holders(sightings)
    # One person registered twice gives a phone under either NIK: the walk-in scoring
    # weighs the cards of both, so the twin of a phone's giver is looked up too.
    twin_of = twin_groups(twins)
    holders |= {twin for n in holders for twin in twin_of.get(n, ())}
    people, members, deaths, cards_left = await asyncio.gather(
        siak_reads.registered(siak, sorted(niks | holders)),
        siak_reads.card_members(siak, sorted(cards)),
        _deaths(siak),
        siak.fetch(_CARDS_LEFT, sorted(holders)),
    )
    names = {nik: r.name for nik, r in people.items()}
    unknown, disagreeing = doubtful(named_niks(sightings), names)
    regencies = {nik[:4] for nik in people}
    near = sorted(
        {n for nik in unknown | disagreeing for n, _ in near_misses(nik) if plausible(n, regencies)}
    )
    holder_cards = {people[nik].family_card for nik in disagreeing}
    # The walk-in scoring weighs the families of whoever gives a walk-in's phone.
    holder_cards |= {people[n].family_card for n in holders if n in people}
    holder_cards |= {r["no_kk_lama"] for r in cards_left}
    more_people, more_cards = await asyncio.gather(
        siak_reads.registered(siak, near),
        siak_reads.card_members(
            siak, sorted((unknown | disagreeing | holder_cards) - set(members))
        ),
    )
    all_cards: dict[str, Sequence[tuple[str, str]]] = {**members, **more_cards}
    # Whom a mistyped NIK giving a walk-in's phone likely meant is a candidate too: the
    # cards of those near the typed NIKs, one statement more.
    meant = {n for nik in holders & (unknown | disagreeing) for n, _ in near_misses(nik)}
    meant_cards = {more_people[n].family_card for n in meant if n in more_people}
    if meant_cards - all_cards.keys():
        all_cards |= await siak_reads.card_members(siak, sorted(meant_cards - all_cards.keys()))
    former = await _former_members(siak, sorted(all_cards.keys() | cards))
    for card, left in former.items():
        all_cards[card] = (*all_cards.get(card, ()), *left)
    everyone: dict[str, Registered] = {**more_people, **people}
    return Register(people=everyone, cards=all_cards, deaths=deaths, twins=twins)


async def possible_duplicates(siak: SourceDB) -> list[tuple[str, str]]:
    """Pairs of NIKs whose holders have the same name, birth date, sex and birthplace."""
    return [(r["first"], r["second"]) for r in await siak.fetch(_POSSIBLE_DUPLICATES)]


async def _deaths(siak: SourceDB) -> dict[str, date]:
    return {r["nik"]: r["tanggal_meninggal"] for r in await siak.fetch(_DEATHS)}


async def _former_members(
    siak: SourceDB, cards: Sequence[str]
) -> dict[str, tuple[tuple[str, str], ...]]:
    rows = await siak.fetch(_FORMER_MEMBERS, list(cards))
    return {r["no_kk"]: tuple(zip(r["nik"], r["nama"], strict=True)) for r in rows}
