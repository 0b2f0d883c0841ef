"""The crosswalk measured against the truth: precision, recall, findings against what was planted.

Pure: :func:`evaluate` takes the truth (:class:`~connectors.truth.TrueRecord`, whom
each record is about and what mess it carries), the crosswalk's links and its
findings, and counts. ``hub.identity.evaluate`` reads them and prints the result.

- **Precision** per (system, method, mess class): of the distinct (record, NIK)
  links made, the share to a NIK the record is really about; and the same of the
  links served as the citizen's (CERTAIN), the figure a partner lives with.
- **Recall** per (system, role, mess class): of the records about someone, the
  share linked to them at all (``found``), linked as CERTAIN (``certain``), and with
  that person the first candidate (``first``).
- **Recall where the records can tell**: the same, leaving out the records the hub
  says they cannot tell apart (``undecided``: a walk-in with no name on a phone whose
  giver has a 16- or 17-year-old on the card, who may have come instead).
- **Wrong and certain**: links to the wrong person served as the citizen's (status
  CERTAIN at a confidence a partner takes as sure). Every one is a defect.
- **Findings**: for each mess class, the records with a finding (a hit where the
  class is one a steward should see, a false alarm where it is not) and without.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from connectors.base import Source
from connectors.truth import TrueRecord

# A link at or above this confidence, and CERTAIN, is what a partner takes as the citizen's.
SURE = 0.8
ALL = "*"
# Mess a steward has no reason to see: the record is right, only written otherwise.
BENIGN = frozenset(
    {
        "clean",
        "nik_with_separators",
        "phone_reformatted",
        "phone_format",
        "name_variant",
        "parent_name_variant",
        "birth_date_missing",
        "birth_date_typo",
        "walk_in",
        "minor_parent_phone",
        "parent_new_family_card",
        "registered_twice",
    }
)


@dataclass(frozen=True, slots=True)
class LinkRow:
    """One crosswalk link as the evaluation needs it."""

    system: str
    record: str
    kind: str
    nik: str
    method: str
    confidence: float
    status: str


@dataclass(frozen=True, slots=True)
class FindingRow:
    system: str
    rule: str
    record: str


@dataclass(slots=True)
class Ratio:
    """``right`` of ``total``; ``value`` is ``None`` when there is nothing to measure."""

    right: int = 0
    total: int = 0

    def add(self, right: bool) -> None:
        self.total += 1
        self.right += right

    @property
    def value(self) -> float | None:
        return self.right / self.total if self.total else None


@dataclass(slots=True)
class Recall:
    found: Ratio = field(default_factory=Ratio)
    certain: Ratio = field(default_factory=Ratio)
    first: Ratio = field(default_factory=Ratio)


@dataclass(slots=True)
class FindingCounts:
    records: int = 0
    flagged: int = 0  # records of the class with at least one finding


@dataclass(slots=True)
class Precision:
    every: Ratio = field(default_factory=Ratio)  # every link
    certain: Ratio = field(default_factory=Ratio)  # the links served as the citizen's


@dataclass(slots=True)
class Evaluation:
    precision: dict[tuple[str, str, str], Precision] = field(default_factory=dict)
    recall: dict[tuple[str, str, str], Recall] = field(default_factory=dict)
    # Per group with records the hub cannot tell apart: how many, and recall of the rest.
    undecided: dict[tuple[str, str, str], int] = field(default_factory=dict)
    decidable: dict[tuple[str, str, str], Recall] = field(default_factory=dict)
    findings: dict[tuple[str, str], FindingCounts] = field(default_factory=dict)
    wrong_certain: dict[tuple[str, str, str], int] = field(default_factory=dict)
    duplicates: Ratio = field(default_factory=Ratio)  # planted pairs reported
    duplicate_false: int = 0  # reported pairs nobody planted

    @property
    def wrong_certain_total(self) -> int:
        return sum(self.wrong_certain.values())


def role_of(system: str, kind: str) -> str:
    """Whom a link of ``kind`` in ``system`` is about: PSB's phone is the parent's."""
    return "parent" if system == Source.PSB.value and kind == "PHONE" else "person"


def evaluate(
    truth: Iterable[TrueRecord],
    links: Iterable[LinkRow],
    findings: Iterable[FindingRow],
    *,
    duplicates_planted: Sequence[tuple[str, str]] = (),
    duplicates_found: Sequence[tuple[str, str]] = (),
    undecided: frozenset[tuple[str, str]] = frozenset(),
) -> Evaluation:
    """Count the crosswalk against ``truth`` (see the module's description)."""
    # A person registered twice is one person: either NIK is theirs.
    aliases: dict[str, set[str]] = {}
    for first, second in duplicates_planted:
        aliases.setdefault(first, set()).add(second)
        aliases.setdefault(second, set()).add(first)
    true: dict[tuple[str, str, str], tuple[set[str], str]] = {}
    for t in truth:
        niks, _ = true.setdefault((t.system.value, t.record, t.role), (set(), t.mess))
        if t.nik is not None:
            niks.add(t.nik)
            niks.update(aliases.get(t.nik, ()))
    # The best link of each (record, role) to each NIK.
    best: dict[tuple[str, str, str], dict[str, LinkRow]] = {}
    for link in links:
        key = (link.system, link.record, role_of(link.system, link.kind))
        by_nik = best.setdefault(key, {})
        old = by_nik.get(link.nik)
        if old is None or (link.status == "CERTAIN", link.confidence) > (
            old.status == "CERTAIN",
            old.confidence,
        ):
            by_nik[link.nik] = link
    out = Evaluation()
    for key, by_nik in best.items():
        if key not in true:
            continue  # a record the truth does not describe (SIAK's own, a vendor with no lead)
        niks, mess = true[key]
        system = key[0]
        for nik, link in by_nik.items():
            right = nik in niks
            served = link.status == "CERTAIN" and link.confidence >= SURE
            for group in ((system, link.method, mess), (ALL, link.method, mess)):
                precision = out.precision.setdefault(group, Precision())
                precision.every.add(right)
                if served:
                    precision.certain.add(right)
            if not right and served:
                group = (system, link.method, mess)
                out.wrong_certain[group] = out.wrong_certain.get(group, 0) + 1
    for key, (niks, mess) in true.items():
        if not niks:
            continue
        system, _, role = key
        by_nik = best.get(key, {})
        mine = [by_nik[n] for n in niks if n in by_nik]
        top = max((link.confidence for link in by_nik.values()), default=None)
        certain = any(m.status == "CERTAIN" and m.confidence >= SURE for m in mine)
        ranked_first = bool(mine) and max(m.confidence for m in mine) == top
        for group in ((system, role, mess), (ALL, role, mess)):
            recalls = [out.recall.setdefault(group, Recall())]
            if (system, key[1]) in undecided:
                out.undecided[group] = out.undecided.get(group, 0) + 1
            else:
                recalls.append(out.decidable.setdefault(group, Recall()))
            for recall in recalls:
                recall.found.add(bool(mine))
                recall.certain.add(certain)
                recall.first.add(ranked_first)
    out.decidable = {g: r for g, r in out.decidable.items() if g in out.undecided}
    flagged = {(f.system, f.record) for f in findings}
    seen: set[tuple[str, str]] = set()
    for (system, record, _), (_, mess) in true.items():
        if (system, record) in seen:
            continue
        seen.add((system, record))
        for where in (system, ALL):
            counts = out.findings.setdefault((where, mess), FindingCounts())
            counts.records += 1
            counts.flagged += (system, record) in flagged
    planted = {frozenset(p) for p in duplicates_planted}
    found = {frozenset(p) for p in duplicates_found}
    for pair in planted:
        out.duplicates.add(pair in found)
    out.duplicate_false = len(found - planted)
    return out
