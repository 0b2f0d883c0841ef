"""Serve with one process per core (DESIGN.md): workers sharing the port with SO_REUSEPORT.

graphql-core's execution is CPU-bound Python, so one process per core is how the
hub uses a machine; the kernel spreads incoming connections across the workers.
Nothing a worker keeps in memory is needed by another: per-client limits are
shared through Redis when ``[redis] url`` is set (per process otherwise), and
each worker keeps its own circuit breakers.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import time
from typing import TYPE_CHECKING

from aiohttp import web

from hub.access_log import HubAccessLogger
from hub.app import create_app

if TYPE_CHECKING:
    from hub.settings import Settings

log = logging.getLogger(__name__)


def run_worker(settings: Settings, reuse_port: bool) -> None:
    """One worker: the whole app, its own pools, serving until told to stop."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        reuse_port=reuse_port,
        print=None,
        access_log_class=HubAccessLogger,  # no query strings (NIKs) in the access log
    )


def serve(settings: Settings, workers: int) -> None:
    """Serve in this process (``workers`` 1) or in ``workers`` child processes."""
    if workers <= 1:
        run_worker(settings, reuse_port=False)
        return
    if settings.port == 0:
        raise ValueError("several workers need a fixed port to share")
    # spawn: each worker starts a fresh interpreter, with no event loop, pool or
    # lock inherited from this one.
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(target=run_worker, args=(settings, True), name=f"hub-worker-{i}")
        for i in range(workers)
    ]
    for child in children:
        child.start()
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping and all(c.is_alive() for c in children):
            time.sleep(0.2)
        if not stopping:
            log.error("a worker exited; stopping the others")
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()  # SIGTERM: aiohttp shuts down gracefully
        for child in children:
            child.join(timeout=10)
        for s, handler in previous.items():
            signal.signal(s, handler)
