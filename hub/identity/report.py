"""``identity report``: the crosswalk and its data-quality findings, counted, with examples.

Everything comes from the hub's own tables, so the report costs no product a
query. Examples show the record and a masked NIK (``3671********0003``), never a
name, phone or birth date.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.identity.store import LAST_SYNC
from identity.findings import UNLINKED, Rule
from identity.layout import mask_long_numbers
from identity.nik import NIK

if TYPE_CHECKING:
    from datetime import datetime

    from hub.migrate import Connection

_LINKS = """
SELECT system, method, count(*) AS links, count(DISTINCT nik) AS niks,
       count(*) FILTER (WHERE NOT in_register) AS outside
  FROM identity_links
 GROUP BY system, method
 ORDER BY system, method
"""
_FINDINGS = """
SELECT system, rule, count(*) AS n FROM identity_findings GROUP BY system, rule
 ORDER BY system, rule
"""
_EXAMPLES = """
SELECT system, rule, record, nik, detail
  FROM (SELECT f.*, row_number() OVER (PARTITION BY system, rule ORDER BY record) AS n
          FROM identity_findings f) f
 WHERE n <= $1
 ORDER BY system, rule, record
"""
# Long digit runs in a record key (a NIP, a NIK) are personal: keep their ends only.
_LONG_NUMBER = 12


@dataclass(frozen=True, slots=True)
class Example:
    """One finding shown as an example: the record, whom it concerns (masked when printed)."""

    record: str
    nik: str | None
    detail: str


@dataclass(slots=True)
class Report:
    """Counts of links by (system, method) and of findings by (system, rule), with examples."""

    last_sync: datetime | None
    links: dict[tuple[str, str], tuple[int, int, int]]  # links, distinct NIKs, outside SIAK
    findings: dict[tuple[str, str], int]
    examples: dict[tuple[str, str], list[Example]]

    def count(self, system: str, rule: Rule) -> int:
        """The findings of ``rule`` in ``system`` (0 if none)."""
        return self.findings.get((system, rule.value), 0)


async def load_report(conn: Connection, examples: int = 3) -> Report:
    """The report of the latest sync (empty before the first)."""
    last = await conn.fetchrow(LAST_SYNC)
    links = {
        (r["system"], r["method"]): (r["links"], r["niks"], r["outside"])
        for r in await conn.fetch(_LINKS)
    }
    findings = {(r["system"], r["rule"]): r["n"] for r in await conn.fetch(_FINDINGS)}
    shown: dict[tuple[str, str], list[Example]] = {}
    for r in await conn.fetch(_EXAMPLES, examples):
        shown.setdefault((r["system"], r["rule"]), []).append(
            Example(r["record"], r["nik"], r["detail"])
        )
    return Report(last["finished_at"] if last else None, links, findings, shown)


def format_report(report: Report) -> str:
    """The report as the command prints it."""
    if report.last_sync is None:
        return "no identity sync has run yet: run `citizen-hub identity sync` first"
    lines = [f"identity crosswalk as of {report.last_sync:%Y-%m-%d %H:%M:%S %Z}", "", "links"]
    lines.append(f"  {'system':<8} {'method':<8} {'links':>9} {'NIKs':>9} {'not in SIAK':>12}")
    for (system, method), (links, niks, outside) in sorted(report.links.items()):
        lines.append(f"  {system.upper():<8} {method:<8} {links:>9} {niks:>9} {outside:>12}")
    for title, unlinked in (("conflicts", False), ("records that link to no one", True)):
        rows = sorted(
            (key, n) for key, n in report.findings.items() if (Rule(key[1]) in UNLINKED) == unlinked
        )
        lines += ["", title]
        if not rows:
            lines.append("  none")
        for (system, rule), n in rows:
            lines.append(f"  {system.upper():<8} {rule:<22} {n:>8}")
            for example in report.examples.get((system, rule), []):
                nik = NIK(example.nik).masked() if example.nik else "-"
                record = mask_long_numbers(example.record, _LONG_NUMBER)
                lines.append(f"  {'':<8}   e.g. {record:<34} {nik:<16}  {example.detail}")
    return "\n".join(lines)
