"""What ``identity sync`` asks SIAK before linking: whom the records name, and whom they meant.

Two rounds. First the NIKs and family cards the records name (as the graph asks
them, through the SIAK connector), the deaths, and the members who left each
card. Then, for the NIKs in doubt (unknown to SIAK, or held by someone the record
does not name), the NIKs one typo away, the cards of that number and the cards of
their holders: the likely intended NIKs are among them (:mod:`identity.evidence`);
and the cards of whoever gives a phone a walk-in gives (the walk-in scoring weighs
their families).
Each round is a few statements whatever the city's size.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from connectors.siak import reads as siak_reads
from identity.crosswalk import Register, Registered, named_niks, phone_holders, wanted
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
    """SIAK's answers for ``sightings``: both rounds (see the module's description).

    ``twins``: SIAK's possible duplicates (:func:`possible_duplicates`), handed to the
    linker: a death under one NIK is the death of its twin.
    """
    niks, cards = wanted(sightings)
    people, members, deaths = await asyncio.gather(
        siak_reads.registered(siak, sorted(niks)),
        siak_reads.card_members(siak, sorted(cards)),
        _deaths(siak),
    )
    names = {nik: r.name for nik, r in people.items()}
    unknown, disagreeing = doubtful(named_niks(sightings), names)
    regencies = {nik[:4] for nik in people}
    near = sorted(
        {n for nik in unknown | disagreeing for n, _ in near_misses(nik) if plausible(n, regencies)}
    )
    holder_cards = {people[nik].family_card for nik in disagreeing}
    # The walk-in scoring weighs the families of whoever gives a walk-in's phone.
    holder_cards |= {people[n].family_card for n in phone_holders(sightings) if n in people}
    more_people, more_cards = await asyncio.gather(
        siak_reads.registered(siak, near),
        siak_reads.card_members(
            siak, sorted((unknown | disagreeing | holder_cards) - set(members))
        ),
    )
    all_cards: dict[str, Sequence[tuple[str, str]]] = {**members, **more_cards}
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
