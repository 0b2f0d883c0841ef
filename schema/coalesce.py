"""One statement for every field of a request that reads the same thing at the same level.

graphql-core starts a level's resolvers together (every root field of a query, every
citizen of a family card): each asks the federation for its own NIKs, and each
would send its own statement. A :class:`Coalesced` read collects the keys asked in
the same turns of the event loop and sends them as one statement, as a DataLoader
does; unlike one, it also merges what each caller needs of the read (the nested
parts a product reads, the rows of the access log), so two fields that select
different parts of a product still share one statement, which reads what either
needs.

Rows the request read before execution (the viewer's own profile and family card, read
to decide its relations) can be handed to a read (:meth:`Coalesced.prime`): a caller
asking for their keys gets them without a statement.

Each caller gets only the rows of the keys it asked for, never another field's:
what a field shows, and to whom, stays decided by that field
(:meth:`schema.federation.Federation.citizens` masks per field). The loader
belongs to one request (:class:`schema.context.Context` makes it), so nothing read
for one caller reaches another.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

N = TypeVar("N")  # what one caller needs of the read (merged by the read's sender)

#: Turns of the event loop a read waits for more callers before its task starts (and
#: sends it a turn later), as strawberry's DataLoader does. graphql-core starts a
#: level's fields as the tasks of one gather; each reaches its loads in its first step,
#: so every one of them has asked before the read is sent.
_TURNS = 1

Send = Callable[[list[str], list[N]], Awaitable[Mapping[str, Any]]]


@dataclass(slots=True)
class _Batch(Generic[N]):
    keys: dict[str, None] = field(default_factory=dict)
    needs: list[N] = field(default_factory=list)
    waiters: list[_Waiter[N]] = field(default_factory=list)


@dataclass(slots=True)
class _Waiter(Generic[N]):
    future: asyncio.Future[dict[str, Any]]
    keys: list[str]  # every key the caller asked, in its order
    need: N | None
    known: dict[str, Any]  # the rows of its keys the request already had (primed)

    def rows(self, found: Mapping[str, Any]) -> dict[str, Any]:
        """The caller's rows: those it already had and those just read, in its order."""
        known = self.known
        return {
            k: known[k] if k in known else found[k] for k in self.keys if k in known or k in found
        }


class Coalesced(Generic[N]):
    """A read every caller of the same turn shares: one statement for all their keys.

    ``send(keys, needs)`` reads the keys (each once, in the order first asked) for
    the needs the callers gave, merged as the read sees fit, and returns the rows by
    key; a key without rows is absent.

    When it raises an error that ``shared`` says is the source's (down, timed out),
    every caller of that batch gets it: asking again would only multiply the outage.
    Any other error (one citizen's row the connector cannot read) belongs to some
    caller's keys, so each caller's own keys are read again on their own and the
    error stays with the fields whose rows caused it, as before the reads were shared.
    """

    def __init__(self, send: Send[N], shared: Callable[[Exception], bool]) -> None:
        self._send = send
        self._shared = shared
        self._batch: _Batch[N] | None = None
        self._primed: dict[str, Any] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # kept alive until they finish

    def prime(self, rows: Mapping[str, Any]) -> None:
        """Rows the request already read the same way (e.g. the viewer's own profile,
        read to decide its relations): a later caller's keys among them are not read
        again. Only for a read whose rows do not depend on what its callers need."""
        self._primed.update(rows)

    def load(self, keys: Iterable[str], need: N | None = None) -> asyncio.Future[dict[str, Any]]:
        """The rows of ``keys``, by key: a future of its own for each caller (cancelling
        one caller cancels nobody else's read)."""
        loop = asyncio.get_running_loop()
        mine = list(dict.fromkeys(keys))
        primed = self._primed
        known = {k: primed[k] for k in mine if k in primed} if primed else {}
        waiter: asyncio.Future[dict[str, Any]] = loop.create_future()
        if len(known) == len(mine):  # all of it already read: no statement
            waiter.set_result(known)
            return waiter
        batch = self._batch
        if batch is None:
            batch = self._batch = _Batch()
            self._later(loop, _TURNS)
        batch.keys.update(dict.fromkeys(k for k in mine if k not in known))
        if need is not None:
            batch.needs.append(need)
        batch.waiters.append(_Waiter(waiter, mine, need, known))
        return waiter

    def _later(self, loop: asyncio.AbstractEventLoop, turns: int) -> None:
        if turns > 0:
            loop.call_soon(self._later, loop, turns - 1)
            return
        batch, self._batch = self._batch, None
        if batch is not None:
            task = loop.create_task(self._dispatch(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            # A statement nobody waits for any more (every caller cancelled: a client
            # that left, a websocket operation completed) is cancelled with them.
            for waiter in batch.waiters:
                waiter.future.add_done_callback(partial(_abandon, batch, task))

    async def _dispatch(self, batch: _Batch[N]) -> None:
        # Never empty: a caller joins a batch only with a key it does not have yet.
        try:
            found = await self._send(list(batch.keys), batch.needs)
        except asyncio.CancelledError:
            for waiter in batch.waiters:
                waiter.future.cancel()
            raise
        except Exception as exc:
            if len(batch.waiters) == 1 or self._shared(exc):  # the source's: everyone's
                for waiter in batch.waiters:
                    _settle(waiter, exc)
                return
            await asyncio.gather(*(self._alone(waiter) for waiter in batch.waiters))
            return
        for waiter in batch.waiters:
            _settle(waiter, waiter.rows(found))

    async def _alone(self, waiter: _Waiter[N]) -> None:
        """One caller's keys read on their own, after the shared read failed."""
        if waiter.future.done():
            return
        needs = [] if waiter.need is None else [waiter.need]
        try:
            found = await self._send([k for k in waiter.keys if k not in waiter.known], needs)
        except Exception as exc:
            _settle(waiter, exc)
        else:
            _settle(waiter, waiter.rows(found))


def _settle(waiter: _Waiter[Any], outcome: dict[str, Any] | Exception) -> None:
    if waiter.future.done():  # its caller was cancelled
        return
    if isinstance(outcome, Exception):
        waiter.future.set_exception(outcome)
    else:
        waiter.future.set_result(outcome)


def _abandon(batch: _Batch[Any], task: asyncio.Task[None], _: object) -> None:
    if not task.done() and all(w.future.cancelled() for w in batch.waiters):
        task.cancel()
