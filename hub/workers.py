"""Serve with one process per core (DESIGN.md): workers sharing the port with SO_REUSEPORT.

graphql-core's execution is CPU-bound Python, so one process per core is how the
hub uses a machine; the kernel spreads incoming connections across the workers.
Nothing a worker keeps in memory is needed by another: per-client limits are
shared through Redis when ``[redis] url`` is set (per process otherwise), and
each worker keeps its own circuit breakers. Their metrics meet in a folder the
parent makes (prometheus-client's multiprocess mode, :mod:`hub.metrics`).

SIGTERM (to the parent or to one worker) is a graceful stop: see :mod:`hub.shutdown`.
The parent passes it on to every worker and waits for them a little longer than
``[server] shutdown_seconds``.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import multiprocessing
import os
import signal
import socket
import tempfile
import time
from typing import TYPE_CHECKING, Any

from hub import metrics
from hub.access_log import HubAccessLogger
from hub.app import create_app
from hub.logs import configure_logging
from hub.shutdown import serve_until_stopped

if TYPE_CHECKING:
    from hub.settings import Settings

log = logging.getLogger(__name__)


class PortUnavailable(Exception):
    """The hub cannot listen where it is told to. ``str()`` is one line for the operator."""


def check_port(host: str, port: int, workers: int = 1) -> None:
    """Bind ``host``:``port`` once and let go, before anything claims to serve there.

    Raises :class:`PortUnavailable` naming the problem: a port out of range, a host
    that does not resolve, an address in use (another hub, or an earlier ``make demo``).
    The port could still be taken between this check and the server's own bind; the
    server's bind then fails the same way (:func:`serve`).
    """
    if not 0 <= port <= 65535:
        raise PortUnavailable(f"port {port} is out of range: use 1 to 65535 (e.g. --port 8092)")
    if port == 0 and workers > 1:
        raise PortUnavailable("several workers need a fixed port to share, not --port 0")
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise PortUnavailable(f"host {host!r} does not resolve ({exc.strerror})") from None
    for family, kind, proto, _name, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            # As aiohttp binds: SO_REUSEADDR, so a port in TIME_WAIT after a stop is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                raise PortUnavailable(_bind_problem(host, port, exc)) from None


def _bind_problem(host: str, port: int, exc: OSError) -> str:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"{where} is already in use (another hub or an earlier make demo?);"
            f" pick another port: make demo PORT={_other_port(port)}"
            f" or --port {_other_port(port)}"
        )
    if exc.errno == errno.EACCES:
        return f"{where}: permission denied (ports below 1024 need privileges); use --port 8092"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{where}: {host} is not an address of this machine"
    return f"cannot listen on {where} ({exc.strerror or exc})"


def _other_port(port: int) -> int:
    return port + 1 if 0 < port < 65535 else 8092


SERVER_OPTIONS: dict[str, Any] = {
    "access_log_class": HubAccessLogger,  # no query strings (NIKs) in the access log
}


def run_worker(settings: Settings, reuse_port: bool, processes: int = 1) -> None:
    """One worker of ``processes``: the whole app, its own pools (their share of each
    database's connections, :mod:`connectors.pools`), serving until told to stop
    (SIGTERM: a graceful stop within ``[server] shutdown_seconds``, :mod:`hub.shutdown`)."""
    configure_logging(log_format=settings.log_format)
    app = create_app(settings, processes=processes)
    asyncio.run(
        serve_until_stopped(
            app,
            host=settings.host,
            port=settings.port,
            reuse_port=reuse_port,
            shutdown_seconds=settings.shutdown_seconds,
            **SERVER_OPTIONS,
        )
    )


def serve(settings: Settings, workers: int) -> None:
    """Serve in this process (``workers`` 1) or in ``workers`` child processes.

    Raises :class:`PortUnavailable` if the port was taken after :func:`check_port`.
    """
    if workers <= 1:
        try:
            run_worker(settings, reuse_port=False)
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
                raise PortUnavailable(_bind_problem(settings.host, settings.port, exc)) from None
            raise
        return
    if settings.port == 0:
        raise ValueError("several workers need a fixed port to share")
    with tempfile.TemporaryDirectory(prefix="citizen-hub-metrics-") as folder:
        metrics.prepare_multiprocess(folder)
        try:
            _serve_workers(settings, workers)
        finally:
            os.environ.pop(metrics.MULTIPROCESS_ENV, None)


def _serve_workers(settings: Settings, workers: int) -> None:
    # spawn: each worker starts a fresh interpreter, with no event loop, pool or
    # lock inherited from this one (and reads PROMETHEUS_MULTIPROC_DIR as it starts).
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(target=run_worker, args=(settings, True, workers), name=f"hub-worker-{i}")
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
            child.join(timeout=settings.shutdown_seconds + 10)
            if child.pid is not None:
                metrics.worker_exited(child.pid)
        for s, handler in previous.items():
            signal.signal(s, handler)
