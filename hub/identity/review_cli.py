"""``citizen-hub identity review list|show|accept|reject``: the steward's queue in the shell."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import TYPE_CHECKING

from hub.identity.review import ACCEPTED, REJECTED, decide, queue, show

if TYPE_CHECKING:
    from hub.migrate import Connection


def add_review_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``identity review`` and its actions."""
    review = actions.add_parser(
        "review",
        help="links in doubt (CONFLICTED, SUGGESTED): list, show the evidence, accept, reject",
    )
    steps = review.add_subparsers(dest="review_command", required=True)
    listing = steps.add_parser("list", help="the links waiting for a steward, by record")
    listing.add_argument(
        "--system", help="only this product's (siak, psb, cpns, ...; default: every product)"
    )
    listing.add_argument("--limit", type=int, default=50, help="how many to print (default 50)")
    shown = steps.add_parser("show", help="a link and every other link of its record")
    shown.add_argument("id", help="the link's id (8 or more hex digits, as list prints it)")
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
    return None


async def run_review(args: argparse.Namespace, hub: Connection) -> int:
    """Run one review action on the hub database; prints what it did."""
    if args.review_command == "list":
        total, items = await queue(hub, system=args.system, limit=args.limit)
        print(f"{total} links wait for review" + (f" ({len(items)} shown)" if items else ""))
        for item in items:
            print("  " + item.line())
        return 0
    if args.review_command == "show":
        link, record = await show(hub, args.id)
        print(f"{link.system} {link.record}: {len(record)} links")
        for item in record:
            mark = "*" if item.id == link.id else " "
            decided = f"  [{item.decision}]" if item.decision else ""
            print(f" {mark}{item.line()}  via {item.via or '-'}{decided}")
        return 0
    decision = ACCEPTED if args.review_command == "accept" else REJECTED
    by = args.by or getpass.getuser()
    for link in await decide(hub, args.id, decision, args.reason, by):
        print(f"{decision.lower()}: {link.line()}")
    return 0
