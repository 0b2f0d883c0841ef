"""``citizen-hub serve`` as a subprocess on a free loopback port, handed over once it
answers: for the benchmarks and for the end-to-end tests that need the real process
(its workers, its signals, several instances on one Redis).

It lives here, not in ``hub/``, because the hub never starts itself this way: it is
tooling around the installed package, type-checked with the rest of ``bench``, and the
tests import it from the checkout as they import the project's packages.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import signal
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]


class HubDidNotStart(RuntimeError):
    """The hub exited, or did not answer in time; the message ends with its log's tail."""


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without its ``CITIZEN_HUB_*`` settings, and ``extra``:
    the hub then reads only its settings file and what the caller names."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_HUB_")}
    return {**env, **extra}


async def answers(
    url: str,
    *,
    path: str = "/healthz",
    seconds: float = 60,
    process: asyncio.subprocess.Process | None = None,
    log: Path | None = None,
) -> None:
    """Return once ``url + path`` answers 200; raise :class:`HubDidNotStart` when
    ``process`` exits first or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process is not None and process.returncode is not None:
                raise HubDidNotStart(
                    f"the hub on {url} exited with status {process.returncode}{_tail(log)}"
                )
            try:
                async with session.get(url + path) as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise HubDidNotStart(f"the hub on {url} did not answer {path} within {seconds:g} s{_tail(log)}")


@dataclass
class ServedHub:
    """A running ``serve`` process and what its callers need to talk to it."""

    url: str
    process: asyncio.subprocess.Process
    env: dict[str, str]  # the environment it runs with, its key-encryption key included
    kek: bytes  # that key: the hub's signing keys are sealed under it
    log: Path | None

    async def stop(self, seconds: float = 30) -> int:
        """SIGTERM (unless it has ended already), SIGKILL if it outlasts ``seconds``;
        its exit status."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), seconds)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()


async def start_hub(
    env: Mapping[str, str],
    *,
    config: Path | None = None,
    kek: bytes | None = None,
    workers: int | None = None,
    log: Path | None = None,
    ready: str = "/healthz",
    seconds: float = 60,
) -> ServedHub:
    """``python -m hub [--config config] serve --port P [--workers N]`` from the project
    root, with ``env`` and a key-encryption key (``kek``, or a new one: instances that
    share a hub database must share it); returned once ``ready`` answers 200, stopped
    again if it does not. Its output goes to ``log``, or nowhere."""
    kek = kek or secrets.token_bytes(32)
    env = {**env, "CITIZEN_HUB_KEY_ENCRYPTION_KEY": base64.urlsafe_b64encode(kek).decode()}
    port = free_port()
    argv = [sys.executable, "-m", "hub", *(("--config", str(config)) if config else ())]
    argv += ["serve", "--port", str(port), *(("--workers", str(workers)) if workers else ())]
    if log is None:
        process = await asyncio.create_subprocess_exec(
            *argv,
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
    else:
        with log.open("wb") as out:  # the child keeps its own copy of the descriptor
            process = await asyncio.create_subprocess_exec(
                *argv, cwd=ROOT, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
            )
    hub = ServedHub(f"http://127.0.0.1:{port}", process, env, kek, log)
    try:
        await answers(hub.url, path=ready, seconds=seconds, process=process, log=log)
    except BaseException:
        await hub.stop(10)
        raise
    return hub


def _tail(log: Path | None) -> str:
    if log is None or not log.exists():
        return ""
    return ":\n" + log.read_text(errors="replace")[-2000:]
