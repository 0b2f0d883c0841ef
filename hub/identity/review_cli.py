"""``citizen-hub identity review list|show|accept|reject``: the steward's queue in the shell.

``list`` masks every NIK: it is for finding a record. ``show`` prints the NIKs of the
record's candidates in full: a steward chooses between people (two givers of one
phone, with the same evidence, read alike masked), as ``identityReviewItem`` shows
them to the identity:steward scope. Like the graph's, each NIK shown is first written
to the disclosure log (the operating-system user as subject, purpose
``identity-review``) and its chain checkpointed; when the log cannot be written,
nothing is shown.
"""

from __future__ import annotations

import argparse
import getpass
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

from connectors.crosswalk.review import ACCEPTED, REJECTED, decide, queue, show
from hub.audit import (
    CheckpointWriter,
    Disclosure,
    DisclosureLog,
    DisclosureRequest,
    create_audit_pool,
)
from identity.errors import InvalidIdentifier
from identity.nik import NIK

if TYPE_CHECKING:
    from hub.migrate import Connection
    from hub.settings import Settings

PURPOSE = "identity-review"
SHOWN = "identity review show"  # the field a disclosure row names


def add_review_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``identity review`` and its actions."""
    review = actions.add_parser(
        "review",
        help="links in doubt (CONFLICTED, SUGGESTED) and walk-ins matched by phone: list,"
        " show the evidence, accept, reject",
    )
    steps = review.add_subparsers(dest="review_command", required=True)
    listing = steps.add_parser("list", help="the links waiting for a steward, by record")
    listing.add_argument(
        "--system", help="only this product's (siak, psb, cpns, ...; default: every product)"
    )
    listing.add_argument("--limit", type=int, default=50, help="how many to print (default 50)")
    listing.add_argument(
        "--nik",
        help="only this citizen's, with the walk-ins matched to them as certain (the NIK is"
        " written to the disclosure log first; default: every citizen's links in doubt)",
    )
    listing.add_argument(
        "--by", default=None, help="who looks (default: the operating system user)"
    )
    shown = steps.add_parser(
        "show",
        help="a link and every other link of its record, NIKs in full (each written to the"
        " disclosure log first)",
    )
    shown.add_argument("id", help="the link's id (8 or more hex digits, as list prints it)")
    shown.add_argument("--by", default=None, help="who looks (default: the operating system user)")
    for name, verb in (("accept", "serve it as the citizen's"), ("reject", "never link it")):
        step = steps.add_parser(name, help=f"{verb}; the decision survives every later sync")
        step.add_argument("id", help="the link's id (8 or more hex digits, as list prints it)")
        step.add_argument("--reason", required=True, help="why: kept with the decision")
        step.add_argument(
            "--by", default=None, help="who decides (default: the operating system user)"
        )
    for sub in (listing, shown, *(steps.choices[n] for n in ("accept", "reject"))):
        sub.add_argument("--data-dir", type=Path, help="embedded server folder (default .data)")


def check_review_args(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments, in one line, or ``None``."""
    if args.review_command == "list" and args.limit < 1:
        return "--limit must be 1 or more"
    if getattr(args, "nik", None) is not None:
        try:
            args.nik = NIK.parse(args.nik).value
        except InvalidIdentifier as exc:
            return f"--nik: {exc}"
    by = getattr(args, "by", None)
    # The name goes into the disclosure log and the decision: one printable line, no
    # control characters that would fake a second line in either.
    if by is not None and not (0 < len(by) <= 64 and by.isprintable() and by.strip() == by):
        return "--by must be a name of 1 to 64 printable characters, without line breaks"
    return None


async def run_review(args: argparse.Namespace, hub: Connection, settings: Settings) -> int:
    """Run one review action on the hub database; prints what it did."""
    if args.review_command == "list":
        if args.nik is not None:
            # Which records a citizen has is theirs to know was looked at, found or not.
            await _log_shown(
                settings, [args.nik], args.system or "hub", args.by or getpass.getuser()
            )
        total, items = await queue(hub, system=args.system, limit=args.limit, nik=args.nik)
        print(f"{total} links wait for review" + (f" ({len(items)} shown)" if items else ""))
        for item in items:
            print("  " + item.line())
        return 0
    if args.review_command == "show":
        link, record = await show(hub, args.id)
        niks = sorted({item.nik for item in record})
        await _log_shown(settings, niks, record[0].system, args.by or getpass.getuser())
        print(f"{link.system} {link.record}: {len(record)} links")
        for item in record:
            mark = "*" if item.id == link.id else " "
            decided = f"  [{item.decision}]" if item.decision else ""
            print(f" {mark}{item.line(nik_shown=True)}  via {item.via or '-'}{decided}")
        return 0
    decision = ACCEPTED if args.review_command == "accept" else REJECTED
    by = args.by or getpass.getuser()
    for link in await decide(hub, args.id, decision, args.reason, by):
        print(f"{decision.lower()}: {link.line()}")
    return 0


async def _log_shown(settings: Settings, niks: list[str], system: str, by: str) -> None:
    """Write each of ``niks`` as shown (from ``system``'s records) to the disclosure log
    and checkpoint the chain; raises (``AuditUnavailable``, a database error) when either
    is not done."""
    assert settings.hub_dsn is not None
    audit = await create_audit_pool(
        settings.hub_dsn, audit_dsn=settings.audit.dsn, min_size=1, max_size=1
    )
    try:
        log = DisclosureLog(audit)
        try:
            await log.record(
                DisclosureRequest(
                    request_id=f"cli-{uuid.uuid4().hex}",
                    client_id=None,
                    subject=f"cli:{by}",
                    purpose=PURPOSE,
                    disclosures=[Disclosure(nik, [system.upper()], [SHOWN]) for nik in niks],
                )
            )
        finally:
            await log.close()
        hub = await asyncpg.create_pool(settings.hub_dsn, min_size=1, max_size=1)
        try:
            await CheckpointWriter.from_settings(hub, settings, log.writer.writer_id).write()
        finally:
            await hub.close()
    finally:
        await audit.close()
