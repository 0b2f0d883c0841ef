"""Clients the hub's team did not write, run against the hub over a real port.

Each test module gets a hub of its own (``hub_url``, ``hub_settings``), served as the
end-to-end tests serve theirs but closed when the module ends, so its database pools
are not held for the rest of the session; all of them serve this folder's own copy of
the test city (``writable_dsns``: the tests book and follow tickets, register clients
and documents, and the seeded city other tests count stays as it was).

Each check is a Node script beside this file, run as ``node SCRIPT.mjs HUB_URL
ARGS...`` (its header says which), that prints JSON. The npm packages are pinned in
``package.json`` and installed by ``make node-deps`` (``npm ci`` from the committed
lockfile; ``make test`` runs it); where Node or those packages are missing, the Node
suites skip saying which.

The scripts run as asynchronous subprocesses: the hub answers from this test's own
event loop, which a blocking ``subprocess.run`` would stall.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from connectors.base import Source
from connectors.city import Family
from hub.app import create_app
from hub.settings import Settings
from tests.e2e import conftest as e2e
from tests.e2e.conftest import citizen_headers, city_settings, grant

# The end-to-end suite's people and its writable city (a copy of this folder's own: a
# fixture is instantiated once per folder that declares it).
showcase_nik = e2e.showcase_nik
acting_family = e2e.acting_family
writable_dsns = e2e.writable_dsns

HERE = Path(__file__).parent
NODE_MODULES = HERE / "node_modules"
SCRIPT_SECONDS = 120.0
# The oldest Node the pinned packages run on: Debian bookworm's.
NODE_MAJOR = 18


class NodeScripts:
    """Runs this folder's Node scripts against a hub and returns what they print."""

    def __init__(self, node: str) -> None:
        self.node = node

    async def run(self, script: str, url: str, *args: str, seconds: float = SCRIPT_SECONDS) -> Any:
        """Run ``script`` to its end and return the JSON it printed last."""
        async with self.start(script, url, *args) as running:
            try:
                out, err = await asyncio.wait_for(running.process.communicate(), seconds)
            except TimeoutError:
                raise AssertionError(f"{script} did not finish within {seconds:.0f} s") from None
        code = running.process.returncode
        assert code == 0, f"{script} failed ({code}):\n{err.decode()}"
        return json.loads(out.decode().strip().splitlines()[-1])

    @contextlib.asynccontextmanager
    async def start(self, script: str, url: str, *args: str) -> AsyncIterator[RunningScript]:
        """A script that reports as it goes; it and anything it started (its own process
        group) are ended when the block is left, however it is left."""
        process = await asyncio.create_subprocess_exec(
            self.node,
            str(HERE / script),
            url,
            *args,
            cwd=HERE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        running = RunningScript(script, process)
        try:
            yield running
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()


class RunningScript:
    """A script still running: its JSON lines as they come, then its end."""

    def __init__(self, name: str, process: asyncio.subprocess.Process) -> None:
        self.name = name
        self.process = process

    async def line(self, seconds: float = 30.0) -> Any:
        """The next JSON line the script prints."""
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), seconds)
        if not raw:
            await self.process.wait()
            assert self.process.stderr is not None
            err = await self.process.stderr.read()
            raise AssertionError(f"{self.name} ended ({self.process.returncode}):\n{err.decode()}")
        return json.loads(raw)

    async def stop(self) -> int:
        """Wait briefly for the script to end by itself, then end it; its exit code."""
        try:
            return await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            os.killpg(self.process.pid, signal.SIGKILL)
            return await self.process.wait()


def _node_missing() -> str | None:
    """Why the Node suites cannot run here, or None when they can."""
    node = shutil.which("node")
    if node is None:
        return "node is not installed (apt-get install nodejs npm; .ci/run does it)"
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    major = int(version.lstrip("v").split(".")[0]) if version[1:2].isdigit() else 0
    if major < NODE_MAJOR:
        return f"node {version or '(unknown version)'} is older than {NODE_MAJOR}"
    if not (NODE_MODULES / ".package-lock.json").exists():
        return "tests/interop/node_modules is missing (make node-deps: npm ci there)"
    return None


@pytest.fixture(scope="session")
def node() -> NodeScripts:
    missing = _node_missing()
    if missing is not None:
        pytest.skip(missing)
    node = shutil.which("node")
    assert node is not None
    return NodeScripts(node)


def partner_args(headers: dict[str, str]) -> tuple[str, str]:
    """A partner's request headers as the scripts' TOKEN and PURPOSE arguments."""
    return headers["Authorization"].removeprefix("Bearer "), headers["X-Purpose"]


@pytest.fixture(scope="module")
async def hub(writable_dsns: dict[Source | str, str]) -> AsyncIterator[tuple[str, Settings]]:
    """A hub on this folder's city, for one test module: its URL and settings."""
    settings = city_settings(writable_dsns)
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/"), settings
    finally:
        await server.close()


@pytest.fixture(scope="module")
def hub_url(hub: tuple[str, Settings]) -> str:
    return hub[0]


@pytest.fixture(scope="module")
def hub_settings(hub: tuple[str, Settings]) -> Settings:
    return hub[1]


@pytest.fixture(scope="module")
async def partner_headers(hub_settings: Settings) -> dict[str, str]:
    """A partner with every scope, under a registered purpose (after the hub made its keys)."""
    return await grant(hub_settings, name="qa-interop")


@pytest.fixture(scope="module")
async def parent_token(hub_settings: Settings, acting_family: Family) -> str:
    """A citizen token of the acting family's head (a spouse and a minor child)."""
    headers = await citizen_headers(hub_settings, acting_family.head.nik)
    return headers["Authorization"].removeprefix("Bearer ")
