"""A civil servant's career from their start: promotions every four years, jenjang, posts.

Pure functions of a random stream, the start date, education and track, so the
rank always matches the years of service: a PNS starts at the golongan of their
education, rises one step per regular promotion (1 April or 1 October) and
stops at that education's ceiling; a PPPK keeps the golongan of their contract.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from connectors.city import REFERENCE_DATE
from connectors.sikda.positions import (
    ENTRY_RANK,
    PPPK_GRADE,
    RANK_CEILING,
    RANK_INDEX,
    RANKS,
    Post,
    Track,
    Unit,
)

STRUCTURAL, FUNCTIONAL, GENERAL = "1", "2", "4"  # jenis jabatan
_STRUCTURAL_SHARE = 0.35  # of eligible S-1 PNS from III/b, while posts are free


@dataclass(slots=True)
class Career:
    """Ranks and positions held, oldest first: (golongan, since) and (title, type, unit, since)."""

    ranks: list[tuple[str, date]] = field(default_factory=list)
    positions: list[tuple[str, str, Unit, date]] = field(default_factory=list)


class FreePosts:
    """Structural posts not yet filled, grouped by rank band so a pick is O(1)."""

    def __init__(self, posts: list[Post]) -> None:
        self.bands: dict[tuple[int, int], list[Post]] = {}
        for post in posts:
            self.bands.setdefault((post.lowest, post.highest), []).append(post)

    def take(self, rng: random.Random, rank: int) -> Post | None:
        """A random free post whose band holds ``rank``, removed from the free ones."""
        fitting = [b for b, free in self.bands.items() if free and b[0] <= rank <= b[1]]
        if not fitting:
            return None
        free = self.bands[rng.choice(fitting)]
        i = rng.randrange(len(free))
        free[i], free[-1] = free[-1], free[i]
        return free.pop()


def pns_career(
    rng: random.Random, start: date, level: int, track: Track, unit: Unit, posts: FreePosts
) -> Career:
    """The career of a PNS who started as CPNS on ``start`` in ``track`` at ``unit``."""
    rank = ENTRY_RANK[level]
    career = Career([(RANKS[rank], start)], [(track.position(rank), _kind(track), unit, start)])
    every = rng.choice((4, 4, 4, 5))  # some promotions wait a year for the credit points
    month = rng.choice((4, 10))
    year = start.year + every
    if month < start.month:  # the first period after four full years in the golongan
        year += 1
    while rank < RANK_CEILING[level] and date(year, month, 1) <= REFERENCE_DATE:
        rank += 1
        since = date(year, month, 1)
        career.ranks.append((RANKS[rank], since))
        title = track.position(rank)
        if title != career.positions[-1][0]:
            career.positions.append((title, _kind(track), unit, since))
        year += every
    if level == 2 and rank >= RANK_INDEX["III/b"] and rng.random() < _STRUCTURAL_SHARE:
        post = posts.take(rng, rank)
        if post is not None:
            appointed = _between(rng, career.ranks[-1][1], REFERENCE_DATE)
            career.positions.append((post.title, STRUCTURAL, post.unit, appointed))
    return career


def pppk_career(rng: random.Random, start: date, level: int, track: Track, unit: Unit) -> Career:
    """A PPPK's contract: one golongan and one position since ``start``."""
    title = track.position(ENTRY_RANK[level])
    return Career([(PPPK_GRADE[level], start)], [(title, _kind(track), unit, start)])


def _kind(track: Track) -> str:
    return GENERAL if track.ladder == "pelaksana" else FUNCTIONAL


def _between(rng: random.Random, start: date, end: date) -> date:
    """A first-of-month day after ``start`` and not after ``end`` (pelantikan dates)."""
    day = start + timedelta(days=rng.randint(30, max(31, (end - start).days)))
    day = min(day, end)
    return date(day.year, day.month, 1) if day.replace(day=1) > start else day
