"""One statement for every field of a request that reads the same thing at the same level.

graphql-core starts a level's resolvers together (every root field of a query, every
citizen of a family card): each asks the federation for its own NIKs, and each
would send its own statement. A :class:`Coalesced` read collects the keys asked in
the same turns of the event loop and sends them as one statement, as a DataLoader
does; unlike one, it also merges what each caller needs of the read (the nested
parts a product reads, the rows of the access log), so two fields that select
different parts of a product still share one statement, which reads what either
needs.

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
    waiters: list[tuple[asyncio.Future[dict[str, Any]], list[str]]] = field(default_factory=list)


class Coalesced(Generic[N]):
    """A read every caller of the same turn shares: one statement for all their keys.

    ``send(keys, needs)`` reads the keys (each once, in the order first asked) for
    the needs the callers gave, merged as the read sees fit, and returns the rows by
    key; a key without rows is absent. When it raises, every caller of that batch
    gets the error.
    """

    def __init__(self, send: Send[N]) -> None:
        self._send = send
        self._batch: _Batch[N] | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # kept alive until they finish

    def load(self, keys: Iterable[str], need: N | None = None) -> asyncio.Future[dict[str, Any]]:
        """The rows of ``keys``, by key: a future of its own for each caller (cancelling
        one caller cancels nobody else's read)."""
        loop = asyncio.get_running_loop()
        batch = self._batch
        if batch is None:
            batch = self._batch = _Batch()
            self._later(loop, _TURNS)
        mine = list(dict.fromkeys(keys))
        batch.keys.update(dict.fromkeys(mine))
        if need is not None:
            batch.needs.append(need)
        waiter: asyncio.Future[dict[str, Any]] = loop.create_future()
        batch.waiters.append((waiter, mine))
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

    async def _dispatch(self, batch: _Batch[N]) -> None:
        if not batch.keys:  # nothing to read: no statement
            for waiter, _ in batch.waiters:
                if not waiter.done():
                    waiter.set_result({})
            return
        try:
            found = await self._send(list(batch.keys), batch.needs)
        except asyncio.CancelledError:
            for waiter, _ in batch.waiters:
                waiter.cancel()
            raise
        except Exception as exc:  # every caller of the batch gets it
            for waiter, _ in batch.waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        for waiter, keys in batch.waiters:
            if not waiter.done():
                waiter.set_result({k: found[k] for k in keys if k in found})
