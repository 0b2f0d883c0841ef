"""``identity evaluate``: the crosswalk against the synthetic city's truth, and its floors.

Reads the truth from the ``truth`` schema ``citizen-hub seed`` keeps beside SIAK's
register, the links and findings from the hub's store, counts them
(:mod:`identity.evaluation`) and prints precision and recall per source, method
and mess class. With floors (``floors.toml`` beside this module, or ``--floors``)
every figure named there must reach its floor, or the command fails: CI runs it
on the 10,000-citizen city.

Nothing printed names a person: only counts and shares.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.truth_store import load_truth
from identity.evaluation import ALL, BENIGN, Evaluation, FindingRow, LinkRow, evaluate
from identity.scoring import MINORS, NameLevel

if TYPE_CHECKING:
    from hub.migrate import Connection

FLOORS = Path(__file__).with_name("floors.toml")
# A link a steward accepted (as it is now) is served as certain.
_LINKS = """
SELECT l.system, l.record, l.kind, l.nik, l.method, l.confidence,
       CASE WHEN d.link_key IS NULL THEN l.status ELSE 'CERTAIN' END AS status
  FROM identity_links l
  LEFT JOIN identity_decisions d ON d.link_key = l.link_key AND d.fingerprint = l.fingerprint
   AND d.decision = 'ACCEPTED'
"""
_FINDINGS = "SELECT system, rule, record FROM identity_findings"
# Walk-ins none of whose candidates is served, one of them a minor on a giver's card,
# no name on the ticket: the records cannot tell who came.
_UNDECIDED = """
SELECT system, record FROM identity_links
 WHERE method = 'MATCHED' AND kind = 'QUEUE_TICKET'
 GROUP BY system, record
HAVING bool_and(status <> 'CERTAIN')
   AND bool_or(evidence LIKE ANY($1::text[]) AND strpos(evidence, $2) > 0)
"""
_DUPLICATES = """
SELECT nik, substring(record from 'penduduk:([0-9]{16})') AS other FROM identity_findings
 WHERE rule = 'possible_duplicate'
"""


async def load_evaluation(siak: Connection, hub: Connection) -> Evaluation:
    """Evaluate the hub's crosswalk against the truth in SIAK's database."""
    truth, planted = await load_truth(siak)  # type: ignore[arg-type]
    links = [LinkRow(*row) for row in await hub.fetch(_LINKS)]
    findings = [FindingRow(*row) for row in await hub.fetch(_FINDINGS)]
    found = [(r["nik"], r["other"]) for r in await hub.fetch(_DUPLICATES) if r["other"]]
    minors = [f"walk-in by phone: {level.value} (%" for level in MINORS]
    undecided = await hub.fetch(_UNDECIDED, minors, f", {NameLevel.NONE.value} (")
    return evaluate(
        truth,
        links,
        findings,
        duplicates_planted=planted,
        duplicates_found=found,
        undecided=frozenset((r["system"], r["record"]) for r in undecided),
    )


def _share(value: float | None) -> str:
    return "     -" if value is None else f"{100 * value:6.1f}"


def format_evaluation(result: Evaluation) -> str:
    """The tables the command prints: precision, recall, wrong-and-certain, findings."""
    lines = [
        "precision: links to the person the record is really about (%);"
        " served: those a partner is given as the citizen's (CERTAIN)"
    ]
    lines.append(
        f"  {'system':<8} {'method':<8} {'mess':<26} {'links':>7} {'right':>7}"
        f" {'served':>7} {'right':>7}"
    )
    for (system, method, mess), p in sorted(result.precision.items()):
        lines.append(
            f"  {system:<8} {method:<8} {mess:<26} {p.every.total:>7} {_share(p.every.value):>7}"
            f" {p.certain.total:>7} {_share(p.certain.value):>7}"
        )
    lines += ["", "recall: records about someone, linked to them (%)"]
    lines.append(
        f"  {'system':<8} {'role':<7} {'mess':<26} {'records':>7} {'found':>7}"
        f" {'certain':>7} {'first':>7}"
    )
    for (system, role, mess), rc in sorted(result.recall.items()):
        lines.append(
            f"  {system:<8} {role:<7} {mess:<26} {rc.found.total:>7} {_share(rc.found.value):>7}"
            f" {_share(rc.certain.value):>7} {_share(rc.first.value):>7}"
        )
    if result.undecided:
        lines += [
            "",
            "recall where the records can tell: leaving out walk-ins without a name, on a phone"
            " whose giver has a 16- or 17-year-old on the card (undecided) (%)",
        ]
        lines.append(
            f"  {'system':<8} {'role':<7} {'mess':<26} {'records':>7} {'undecid':>7}"
            f" {'found':>7} {'certain':>7} {'first':>7}"
        )
        for group, rc in sorted(result.decidable.items()):
            system, role, mess = group
            lines.append(
                f"  {system:<8} {role:<7} {mess:<26} {rc.found.total:>7}"
                f" {result.undecided[group]:>7} {_share(rc.found.value):>7}"
                f" {_share(rc.certain.value):>7} {_share(rc.first.value):>7}"
            )
    lines += ["", f"wrong links served as certain: {result.wrong_certain_total}"]
    for (system, method, mess), n in sorted(result.wrong_certain.items()):
        lines.append(f"  {system:<8} {method:<8} {mess:<26} {n:>7}")
    lines += ["", "findings against what was planted (records with a finding)"]
    lines.append(f"  {'system':<8} {'mess':<26} {'records':>7} {'flagged':>7}  meaning")
    for (system, mess), f in sorted(result.findings.items()):
        meaning = "false alarms" if mess in BENIGN else "found; the rest missed"
        lines.append(f"  {system:<8} {mess:<26} {f.records:>7} {f.flagged:>7}  {meaning}")
    d = result.duplicates
    lines += [
        "",
        f"people registered twice: {d.right} of {d.total} reported as possible duplicates,"
        f" {result.duplicate_false} reported that were not planted",
    ]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Breach:
    """A figure below its floor (or above its ceiling), for the command to print."""

    figure: str
    value: float | None
    floor: float


class FloorsError(ValueError):
    """The floors file names a figure the evaluation does not have, or is malformed."""


def check_floors(result: Evaluation, floors: dict[str, dict[str, float]]) -> list[Breach]:
    """The figures of ``result`` that break ``floors`` (the parsed floors file).

    Sections: ``precision`` and ``precision_served`` ("system method mess"),
    ``recall_found``, ``recall_certain`` and ``recall_certain_decidable`` (the records
    the hub can tell apart) ("system role mess"), ``findings_found``
    ("system mess": the share of the class's records with a finding), each a
    minimum share (0 to 1);
    ``maximum``: ``wrong_served_as_certain`` and ``duplicates_missed``. A figure with
    nothing to measure (no such records in this city) passes.
    """
    breaches: list[Breach] = []
    for section, table in floors.items():
        for name, floor in table.items():
            value = _figure(result, section, name)
            if section == "maximum":
                if value is not None and value > floor:
                    breaches.append(Breach(f"{section} {name}", value, floor))
            elif value is not None and value < floor:
                breaches.append(Breach(f"{section} {name}", value, floor))
    return breaches


def _figure(result: Evaluation, section: str, name: str) -> float | None:
    if section == "maximum":
        if name == "wrong_served_as_certain":
            return float(result.wrong_certain_total)
        if name == "duplicates_missed":
            return float(result.duplicates.total - result.duplicates.right)
        raise FloorsError(f"[maximum] {name}: no such figure")
    if section == "findings_found":
        words = name.split()
        if len(words) != 2:
            raise FloorsError(f"[{section}] {name!r}: expected 'system mess'")
        counts = result.findings.get((words[0], words[1]))
        return counts.flagged / counts.records if counts and counts.records else None
    parts = tuple(name.split())
    if len(parts) != 3:
        raise FloorsError(f"[{section}] {name!r}: expected 'system method-or-role mess'")
    if section in ("precision", "precision_served"):
        precision = result.precision.get(parts)
        if precision is None:
            return None
        return (precision.every if section == "precision" else precision.certain).value
    if section in ("recall_found", "recall_certain"):
        recall = result.recall.get(parts)
        if recall is None:
            return None
        return (recall.found if section == "recall_found" else recall.certain).value
    if section == "recall_certain_decidable":
        decidable = result.decidable.get(parts) or result.recall.get(parts)
        return decidable.certain.value if decidable else None
    raise FloorsError(f"[{section}]: no such section (precision, recall_found, ...)")


def read_floors(path: Path) -> dict[str, dict[str, float]]:
    """The floors file, parsed; raises :class:`FloorsError` naming what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FloorsError(f"{path}: {exc}") from exc
    for section, table in data.items():
        if not isinstance(table, dict) or not all(
            isinstance(v, int | float) for v in table.values()
        ):
            raise FloorsError(f"{path}: [{section}] must map figures to numbers")
    return data


__all__ = ["ALL", "FLOORS", "check_floors", "format_evaluation", "load_evaluation", "read_floors"]
