"""Fellegi–Sunter scores for walk-ins known by a phone only, with weights learnt from the data.

A walk-in's ticket holds a phone, a day and sometimes a name. Its candidates are
the people who give that phone elsewhere with a NIK (``GIVEN``), or on a record
whose NIK was likely mistyped for theirs (``SUGGESTED``), and the members of a
giver's family card aged 17 (``YOUNG``) or 16 (``YOUNGER``) on the ticket's day:
a minor on a parent's phone (a KTP is issued at 17; the months before it count too).
Whether that giver is the card's head (listed first on a KK) is a level of its own
(``YOUNG_MEMBER``, ``YOUNGER_MEMBER`` when not): whose phone a minor borrows is
learnt from the tickets, not assumed. The card's other adults are candidates too
(``ADULT``: a spouse on the giver's phone). Nobody dead by the ticket's day is a
candidate. What the records cannot tell (a giver since dead, a name clearly
another's, no day...) keeps a walk-in from being served whatever its probability:
the reasons are below, the rule in :mod:`identity.links`.

Each candidate is compared with the ticket: the phone level above, and the name
(the same however written, close, clearly another's, or none on the ticket). At
most one candidate is the walker. The model:

- the walker is candidate *i* with odds ``theta[phone level of i]`` against
  ``theta[NONE]`` (someone the hub does not know: a recycled or shared number);
- the walker's name agrees at level *l* with probability ``m[l]``, anyone else's
  with ``u[l]`` (Fellegi–Sunter's m and u), so the posterior of *i* is
  ``theta * m/u`` normalised over the ticket's candidates and NONE.

``theta``, ``m`` and ``u`` are estimated from the tickets themselves by EM (the
named tickets tell how often a minor, not the parent, walked in; the unnamed ones
are then scored with that), with a weak prior so a small city stays sane. The
weights, ``log2`` of them, are each link's evidence.

Why not Splink: it would bring DuckDB, pandas, altair and sqlglot into the sync
for a model this size, and its pairwise m/u cannot say "one walker among these
candidates": a parent's phone with a 17-year-old on the card needs the odds of
the two against each other, and a pairwise m for "17, on the card" is averaged
over every walker (where minors are a fraction of a percent), not over the tickets
where one could have come (where they are several percent). The EM below works on
the tickets' distinct comparison patterns (hundreds at most, at 1.9 M citizens), in plain
Python; numpy is not installed.
"""

from __future__ import annotations

import enum
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from identity.names import CLEARLY_DIFFERENT, SAME_NAME, name_similarity
from identity.nik import encoded_birth_date


class PhoneLevel(enum.StrEnum):
    GIVEN = "gives the phone"
    SUGGESTED = "gives the phone on a record likely meaning them"
    # Worded as before the head and the other members were told apart, when every
    # minor on a giver's card was weighed so: a steward's decision on such a link is
    # tied to these words (hub/identity/store.py) and holds.
    YOUNG = "17, on the card of who gives the phone"
    YOUNGER = "16, on the card of who gives the phone"
    YOUNG_MEMBER = "17, on the card of a member (not its head) who gives the phone"
    YOUNGER_MEMBER = "16, on the card of a member (not its head) who gives the phone"
    ADULT = "an adult on the card of who gives the phone"


class NameLevel(enum.StrEnum):
    NONE = "no name on the ticket"
    SAME = "same name"
    CLOSE = "similar name"
    OTHER = "another name"


NONE = "someone else"  # the walker is none of the candidates
# The minors on a giver's card, whoever heads it.
MINORS = (
    PhoneLevel.YOUNG,
    PhoneLevel.YOUNGER,
    PhoneLevel.YOUNG_MEMBER,
    PhoneLevel.YOUNGER_MEMBER,
)
# A candidate found several ways (a minor on two givers' cards) is weighed at the first.
LIKELIEST = (
    PhoneLevel.GIVEN,
    PhoneLevel.SUGGESTED,
    PhoneLevel.YOUNG,
    PhoneLevel.YOUNG_MEMBER,
    PhoneLevel.YOUNGER,
    PhoneLevel.YOUNGER_MEMBER,
    PhoneLevel.ADULT,
)
# Why a walk-in's candidate is not served as sure, whatever the probability.
RECYCLED = "someone who gave this phone has died: the number may have passed to another"
UNKNOWN_GIVER = "a record whose person is not known gives this phone too"
NO_DAY = "the ticket has no day: who was a minor on it is not known"
NO_FAMILY = "the family card of who gives this phone is not known"
OTHER_NAME = "the name on the ticket is clearly another's"
ITERATIONS = 40
# The prior, as this many pseudo-tickets at the starting values (``theta``: about what
# the 1.9 M-citizen city estimates): enough to keep a 10,000-citizen city, with a
# handful of named minors, from extreme estimates.
PRIOR_WEIGHT = 4.0
START_THETA = {
    PhoneLevel.GIVEN: 1.0,
    PhoneLevel.SUGGESTED: 0.5,
    PhoneLevel.YOUNG: 0.08,
    PhoneLevel.YOUNGER: 0.008,
    # No prior knowledge of whose phone a minor borrows: the same start as the head's.
    PhoneLevel.YOUNG_MEMBER: 0.08,
    PhoneLevel.YOUNGER_MEMBER: 0.008,
    # A spouse or grown child on the giver's phone: rarer a guess than a minor's, and
    # the named tickets soon say how rare (a city where adults borrow each other's
    # phones learns it here, and stops serving the giver as sure).
    PhoneLevel.ADULT: 0.002,
    NONE: 0.0015,
}
START_M = {
    NameLevel.NONE: 0.8,
    NameLevel.SAME: 0.18,
    NameLevel.CLOSE: 0.015,
    NameLevel.OTHER: 0.005,
}
START_U = {NameLevel.NONE: 0.8, NameLevel.SAME: 0.01, NameLevel.CLOSE: 0.04, NameLevel.OTHER: 0.15}

Comparison = tuple[PhoneLevel, NameLevel]


def name_level(ticket_name: str | None, registered: str | None) -> NameLevel:
    """How the name on a ticket agrees with a candidate's name in SIAK."""
    if not ticket_name or not registered:
        return NameLevel.NONE
    similarity = name_similarity(ticket_name, registered)
    if similarity >= SAME_NAME:
        return NameLevel.SAME
    return NameLevel.CLOSE if similarity >= CLEARLY_DIFFERENT else NameLevel.OTHER


def on_card(nik: str, day: date, *, heads_card: bool = True) -> PhoneLevel | None:
    """``YOUNG`` or ``YOUNGER`` when the holder of ``nik`` (birth date as the NIK holds
    it) is 17 or 16 on ``day``: a minor old enough to come alone; ``ADULT`` from 18;
    else ``None``. The ``_MEMBER`` levels when the phone's giver is not the head of the
    minor's card."""
    born = encoded_birth_date(nik, day)
    if born is None:
        return None
    age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    if age >= 18:
        return PhoneLevel.ADULT
    if heads_card:
        return {17: PhoneLevel.YOUNG, 16: PhoneLevel.YOUNGER}.get(age)
    return {17: PhoneLevel.YOUNG_MEMBER, 16: PhoneLevel.YOUNGER_MEMBER}.get(age)


@dataclass(slots=True)
class Model:
    """The estimated weights (see the module's description)."""

    theta: dict[str, float] = field(default_factory=lambda: dict(START_THETA))
    m: dict[NameLevel, float] = field(default_factory=lambda: dict(START_M))
    u: dict[NameLevel, float] = field(default_factory=lambda: dict(START_U))

    def odds(self, c: Comparison) -> float:
        return self.theta[c[0]] * self.m[c[1]] / self.u[c[1]]

    def posteriors(self, ticket: Sequence[Comparison]) -> list[float]:
        """Each candidate's probability of being the walker."""
        odds = [self.odds(c) for c in ticket]
        total = sum(odds) + self.theta[NONE]
        return [o / total for o in odds]

    def evidence(self, c: Comparison, posterior: float, caution: str | None = None) -> str:
        """The weights that made a link, for the steward (no personal data).

        The comparison levels are what a steward's decision is tied to; the weights and
        the probability, re-learnt from every ticket, are not (the sync's fingerprint
        leaves out `` (weight ...)`` and ``; probability ...``: keep that shape). The
        probability is floored, so one under the serving threshold never reads as it.
        ``caution`` says why a link is not served whatever its probability.
        """
        phone = math.log2(self.theta[c[0]] / self.theta[NONE])
        name = math.log2(self.m[c[1]] / self.u[c[1]])
        shown = math.floor(posterior * 1000) / 1000
        said = f"; {caution}" if caution else ""
        return (
            f"walk-in by phone: {c[0].value} (weight {phone:+.1f}), {c[1].value}"
            f" (weight {name:+.1f}){said}; probability {shown:.3f}"
        )


def estimate(tickets: Iterable[Sequence[Comparison]]) -> Model:
    """The weights that best explain ``tickets`` (each: its candidates' comparisons), by EM.

    E: each candidate's posterior of being the walker. M: ``m``/``u`` from the
    posterior-weighted name levels; ``theta`` by the minorise-maximise step of a
    choice among the ticket's candidates (Hunter, 2004). Both start from, and are
    pulled toward, the starting values by :data:`PRIOR_WEIGHT` pseudo-tickets.
    """
    patterns = Counter(tuple(sorted(t)) for t in tickets if t)
    model = Model()
    for _ in range(ITERATIONS):
        chosen = {k: PRIOR_WEIGHT * v for k, v in START_THETA.items()}
        exposure = dict.fromkeys(START_THETA, PRIOR_WEIGHT)
        walker = {k: PRIOR_WEIGHT * v for k, v in START_M.items()}
        other = {k: PRIOR_WEIGHT * v for k, v in START_U.items()}
        for ticket, count in patterns.items():
            posteriors = model.posteriors(ticket)
            chosen[NONE] += count * (1 - sum(posteriors))
            offered = sum(model.theta[c[0]] for c in ticket) + model.theta[NONE]
            exposure[NONE] += count / offered
            for c, p in zip(ticket, posteriors, strict=True):
                chosen[c[0]] += count * p
                exposure[c[0]] += count / offered
                walker[c[1]] += count * p
                other[c[1]] += count * (1 - p)
        theta = {k: chosen[k] / exposure[k] for k in START_THETA}
        scale = theta[PhoneLevel.GIVEN]
        model.theta = {k: v / scale for k, v in theta.items()}
        model.m = _share(walker)
        model.u = _share(other)
    return model


def _share(counts: dict[NameLevel, float]) -> dict[NameLevel, float]:
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()}
