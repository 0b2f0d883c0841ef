"""``citizen-hub counter …`` and ``citizen-hub antrian …``: the MPP's side of the queue.

``counter`` plays the centre's counter staff for the demo, straight in the Antrian
database as the product's counter screen would: call the next waiting ticket to a
counter, mark a called ticket served or a no-show, list a queue. ``antrian
install-notify`` / ``uninstall-notify`` add or remove the one object the hub may put
in that database, the trigger that announces ticket changes (the hub's live
subscriptions poll without it).

The Antrian database is the configured one, or the embedded server's (started for
the command and stopped after it), as every operator command finds its databases.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import asyncpg

from connectors.antrian.counter import CounterRefused, call_next, queue, serve_ticket, skip_ticket
from connectors.antrian.notify import install_notify, notify_installed, uninstall_notify
from connectors.antrian.records import QueueTicket
from connectors.base import DATABASE_ERRORS, Source, SourceDB
from connectors.clock import local, wib_now
from hub.databases import resolve
from hub.settings import Settings

COUNTER_COMMANDS = frozenset({"counter", "antrian"})


def add_counter_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``counter next|serve|skip|list`` and ``antrian install-notify|uninstall-notify``."""
    counter = commands.add_parser(
        "counter", help="play the MPP counter staff on the Antrian queue (demo)"
    )
    actions = counter.add_subparsers(dest="counter_command", required=True)
    next_ = actions.add_parser("next", help="call the next waiting ticket to a counter")
    next_.add_argument("--loket", required=True, help="counter code, e.g. MPP04-L01")
    next_.add_argument("--date", type=_day, help="queue day, YYYY-MM-DD (default today, WIB)")
    for name, text in (("serve", "mark a called ticket served"), ("skip", "mark it a no-show")):
        action = actions.add_parser(name, help=text)
        action.add_argument("ticket", help="ticket id (id_tiket)")
    list_ = actions.add_parser("list", help="the tickets of a service still waiting or called")
    list_.add_argument("--service", required=True, help="service code, e.g. MPP04-A")
    list_.add_argument("--date", type=_day, help="queue day, YYYY-MM-DD (default today, WIB)")
    antrian = commands.add_parser("antrian", help="the Antrian database's change notification")
    notify = antrian.add_subparsers(dest="antrian_command", required=True)
    notify.add_parser("install-notify", help="add the trigger that announces ticket changes")
    notify.add_parser("uninstall-notify", help="remove it (live views then poll)")
    for parser in (*actions.choices.values(), *notify.choices.values()):
        parser.add_argument("--data-dir", type=Path, help="embedded server folder (default .data)")


def run_counter(args: argparse.Namespace, settings: Settings) -> int:
    """Run the ``counter`` or ``antrian`` subcommand ``args`` names; returns the exit status."""
    action = args.counter_command if args.command == "counter" else args.antrian_command
    try:
        return asyncio.run(_run(args, settings))
    except CounterRefused as exc:
        print(f"citizen-hub: {args.command} {action}: {exc.message}", file=sys.stderr)
        return 2
    except DATABASE_ERRORS as exc:
        print(f"citizen-hub: {args.command} {action}: {_reason(exc)}", file=sys.stderr)
        return 2


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    async with antrian_dsn(settings) as dsn:
        if args.command == "antrian":
            return await _notify(dsn, args.antrian_command)
        async with asyncpg.create_pool(dsn, min_size=1, max_size=2) as pool:
            db = SourceDB(Source.ANTRIAN, pool)
            return await _counter(db, args)


async def _counter(db: SourceDB, args: argparse.Namespace) -> int:
    command = args.counter_command
    if command == "next":
        day = args.date or local(wib_now()).date()
        ticket = await call_next(db, args.loket, day=day)
        if ticket is None:
            print(f"no one is waiting for counter {args.loket} on {day.isoformat()}")
            return 0
        print(f"called {format_ticket(ticket)}")
        return 0
    if command == "serve":
        print(f"served {format_ticket(await serve_ticket(db, args.ticket))}")
        return 0
    if command == "skip":
        print(f"no-show {format_ticket(await skip_ticket(db, args.ticket))}")
        return 0
    day = args.date or local(wib_now()).date()
    tickets = await queue(db, args.service, day)
    print(f"{args.service} on {day.isoformat()}: {len(tickets)} waiting or called")
    for ticket in tickets:
        print(f"  {format_ticket(ticket)}")
    return 0


async def _notify(dsn: str, command: str) -> int:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        if command == "install-notify":
            await install_notify(conn)
        else:
            await uninstall_notify(conn)
        installed = await notify_installed(conn)
    finally:
        await conn.close()
    state = "installed" if installed else "not installed"
    print(f"antrian: the ticket change notification is {state} (channel antrian_tiket)")
    return 0


def format_ticket(ticket: QueueTicket) -> str:
    """One line a counter screen would show: number, id, state, counter, times (no NIK)."""
    parts = [f"{ticket.number:<6}", f"ticket {ticket.id}", ticket.status.value]
    if ticket.counter:
        parts.append(ticket.counter)
    parts.append(f"taken {ticket.taken_at:%Y-%m-%d %H:%M}")
    if ticket.called_at:
        parts.append(f"called {ticket.called_at:%H:%M}")
    if ticket.served_at:
        parts.append(f"served {ticket.served_at:%H:%M}")
    return "  ".join(parts)


@asynccontextmanager
async def antrian_dsn(settings: Settings) -> AsyncIterator[str]:
    """The Antrian database's DSN: the configured one, or the embedded server's,
    started for the block and stopped after it."""
    configured = settings.source_dsns.get(Source.ANTRIAN)
    if configured is not None:
        yield configured
        return
    databases = await resolve(settings)
    try:
        yield databases.settings.source_dsns[Source.ANTRIAN]
    finally:
        databases.stop()


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is no date (YYYY-MM-DD)") from None


def _reason(exc: BaseException) -> str:
    # Never the server's message: it can quote SQL and values.
    if isinstance(exc, asyncpg.PostgresError):
        return f"database error {exc.sqlstate} ({type(exc).__name__})"
    if isinstance(exc, ConnectionRefusedError):
        return "the Antrian database refused the connection"
    return type(exc).__name__
