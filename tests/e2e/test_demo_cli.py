"""``citizen-hub demo`` as a visitor runs it: a busy or impossible port is one line before
anything starts; the demo prints what the API names; its PostgreSQL stops with it."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.serving import answers, free_port
from connectors.base import Source
from connectors.seeding import SeedReport
from hub.embedded import postmaster_pid, stop_server
from tests.conftest import ScratchDatabases

ROOT = Path(__file__).parents[2]


@pytest.fixture
def folder() -> Iterator[Path]:
    """An empty working folder (the demo's .data goes in it); its PostgreSQL is stopped
    at the end whatever the test did."""
    path = Path(tempfile.mkdtemp(prefix="chdemo-"))
    try:
        yield path
    finally:
        stop_server(path / ".data" / "pg")
        shutil.rmtree(path, ignore_errors=True)


def environment(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_HUB_")}
    return {**clean, "PYTHONPATH": str(ROOT), **extra}


def run_cli(cwd: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *argv],
        cwd=cwd,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_line(done: subprocess.CompletedProcess[str], starts: str) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stdout == "", "nothing may claim to serve"
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(starts), done.stderr


def test_demo_refuses_a_busy_port_in_one_line_before_starting_anything(folder: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli(folder, "demo", "--port", str(port))
    assert_one_line(done, f"citizen-hub: 127.0.0.1:{port} is already in use")
    assert f"make demo PORT={port + 1}" in done.stderr
    assert not (folder / ".data").exists()


@pytest.mark.parametrize("port", ["99999", "-1"])
def test_demo_refuses_a_port_out_of_range_in_one_line(folder: Path, port: str) -> None:
    done = run_cli(folder, "demo", "--port", port)
    assert_one_line(done, f"citizen-hub: port {port} is out of range: use 1 to 65535")
    assert not (folder / ".data").exists()


def test_serve_refuses_a_busy_port_in_one_line(folder: Path) -> None:
    kek = "A" * 43  # 32 bytes of base64url: serve checks its key-encryption key first
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli(folder, "serve", "--port", str(port), CITIZEN_HUB_KEY_ENCRYPTION_KEY=kek)
    assert_one_line(done, f"citizen-hub: 127.0.0.1:{port} is already in use")


def test_db_commands_without_a_server(folder: Path) -> None:
    for action in ("status", "stop"):
        done = run_cli(folder, "db", action)
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"no embedded PostgreSQL is running in {Path('.data/pg')}\n"


async def start_demo(folder: Path, *argv: str) -> tuple[asyncio.subprocess.Process, str, int]:
    """The demo on a small city; returns it, what it printed up to serving, its port."""
    port = free_port()
    log = (folder / "demo.log").open("ab")
    demo = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "hub", "demo", "--citizens", "300", "--port", str(port), *argv),
        cwd=folder,
        env=environment(),
        stdout=asyncio.subprocess.PIPE,
        stderr=log,
    )
    log.close()
    assert demo.stdout is not None
    printed: list[str] = []
    deadline = time.monotonic() + 120
    while not any(line.startswith("Ctrl-C") for line in printed):
        remaining = deadline - time.monotonic()
        line = await asyncio.wait_for(demo.stdout.readline(), timeout=max(remaining, 0.1))
        if not line:
            errors = (folder / "demo.log").read_text(errors="replace")[-2000:]
            raise AssertionError(f"the demo stopped before serving:\n{''.join(printed)}{errors}")
        printed.append(line.decode())
    return demo, "".join(printed), port


async def stop_demo(demo: asyncio.subprocess.Process) -> int:
    if demo.returncode is None:
        demo.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(demo.wait(), timeout=60)


async def test_the_demo_prints_the_api_names_and_stops_its_postgresql(folder: Path) -> None:
    pgdata = folder / ".data" / "pg"
    demo, printed, port = await start_demo(folder)
    try:
        assert f"serving on http://127.0.0.1:{port}/graphql" in printed
        assert "    HEAD     NIK 3671" in printed and "    CHILD    NIK 3671" in printed
        assert "KEPALA KELUARGA" not in printed
        assert "expires in 15 min" in printed and "expires in 1 h" in printed
        assert "bin/citizen-hub token --client ch_" in printed
        assert "bin/citizen-hub token --citizen 3671" in printed
        assert "Ctrl-C stops the hub and its embedded PostgreSQL." in printed
        await answers(f"http://127.0.0.1:{port}", seconds=60, process=demo)
        assert postmaster_pid(pgdata) is not None
    finally:
        await stop_demo(demo)
    assert postmaster_pid(pgdata) is None, "the embedded PostgreSQL outlived the demo"

    # --keep-db: PostgreSQL stays for the next start; db stop ends it.
    demo, printed, _port = await start_demo(folder, "--keep-db")
    try:
        assert printed.startswith("reusing the seeded city")
        assert "keeps running (--keep-db)" in printed and "db stop" in printed
        refused = await asyncio.to_thread(run_cli, folder, "db", "stop")
        assert refused.returncode == 2
        assert "is in use by pid" in refused.stderr and refused.stderr.count("\n") == 1
    finally:
        await stop_demo(demo)
    kept = postmaster_pid(pgdata)
    assert kept is not None, "--keep-db stopped PostgreSQL"
    done = await asyncio.to_thread(run_cli, folder, "db", "stop")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"stopped the embedded PostgreSQL in {Path('.data/pg')} (pid {kept})\n"
    assert postmaster_pid(pgdata) is None


async def test_token_and_clients_add_say_what_comes_next(
    city_dsns: dict[Source | str, str],
    seed_report: SeedReport,
    test_databases: ScratchDatabases,
    folder: Path,
) -> None:
    assert seed_report.city is not None
    env = {f"CITIZEN_HUB_{s.name}_DSN": city_dsns[s] for s in Source}
    env["CITIZEN_HUB_HUB_DSN"] = (await test_databases.create("cli_next"))["hub"]
    head = seed_report.city.showcase[0].head

    done = await asyncio.to_thread(run_cli, folder, "token", "--citizen", head.nik, **env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(".") == 2 and done.stdout.count("\n") == 1  # the JWT alone
    assert re.fullmatch(
        r"\(expires in 1 h, at \d\d:\d\d; the same command makes a new one\)\n", done.stderr
    ), done.stderr

    known = {p.nik for p in seed_report.city.people}
    stranger = next(
        n for n in (head.nik[:12] + f"{i:04d}" for i in range(900, 999)) if n not in known
    )
    done = await asyncio.to_thread(run_cli, folder, "token", "--citizen", stranger, **env)
    assert_one_line(done, f"citizen-hub: NIK {stranger} is not in SIAK's population register")

    done = await asyncio.to_thread(
        run_cli, folder, "purposes", "add", "qa-next", "--description", "docs", **env
    )
    assert done.returncode == 0, done.stderr
    done = await asyncio.to_thread(
        run_cli,
        folder,
        *("clients", "add", "--name", "QA", "--scope", "psb:read", "--purpose", "qa-next=psb:read"),
        **env,
    )
    assert done.returncode == 0, done.stderr
    client_id = done.stdout.split()[1]
    assert "Next: the partner gets a token" in done.stdout
    assert (
        f"curl -s -u '{client_id}:<client_secret>' -d grant_type=client_credentials"
        " -d purpose=qa-next http://127.0.0.1:8080/oauth/token" in done.stdout
    )
    assert f"bin/citizen-hub token --client {client_id} --purpose qa-next" in done.stdout
