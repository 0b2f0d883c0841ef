"""The hub beside PostGraphile 5 on the same data, the same PostgreSQL, the same query shape.

A city could copy the eight product databases into one and put PostGraphile on it; this
is the comparison with that choice, interleaved in one run so the ratio holds on a noisy
machine:

  (a) one citizen, all products      hub: citizen(nik:)      PostGraphile: pendudukByNik(nik:)
  (b) 100 citizens, all products     hub: citizens(niks:)    PostGraphile: citizens(niks:)

each as N sequential requests (p50, p95) and N requests from C concurrent clients (req/s),
alternating the targets measurement by measurement; the hub's raw-SQL floor
(bench.graph's floor(): the same batched statements, no GraphQL, no HTTP) in the same
rounds, with and without the disclosure-log write.

    .venv/bin/python -m bench.compare [--pg URL] [--socket DIR] [--hubs 1,2] [--setup]
        [--citizens N | --existing PREFIX --citizens N] [--rounds 5]

The first run installs PostGraphile 5.1.5 and Node 22 from npm under ``--work`` (npm must
be on PATH) and builds the data (bench/replica.py); later runs reuse both. PostGraphile
runs anonymous on one consolidated copy, joining everything in one statement, in one
Node process; the hub checks a token, decides access and writes a durable disclosure row
per request across nine databases.

``--hubs`` lists the hubs measured side by side, each ``citizen-hub serve --workers N``
on a port of its own and on the same hub database: ``1,2`` (the default) is one process
and one per core; a ``tcp`` suffix (``1tcp``) reads its sources over TCP even with
``--socket``. ``--socket DIR`` is the Unix-socket folder of the ``--pg`` server: the
hubs, the floor and PostGraphile then all connect through it (the embedded server
listens on a socket only, so without ``--pg`` everything already does).

``--existing PREFIX`` compares on product databases seeded earlier (``city_`` for the
1.9 M-citizen city, ``--citizens 1912679``): they are only read; the bench syncs its
own hub database and builds its own replica beside them (bench/replica.py).

Where the hub's time goes, while a run measures: ``.venv/bin/py-spy record -p <hub pid>
-f raw -o hub.txt`` (the pid is printed when the hub starts). Only the processes this
command started are stopped, by pid.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg

from bench import replica
from bench.measuring import SHAPES, Floor, Tally, Target, measure, one_request, report
from bench.processes import (
    Server,
    install_postgraphile,
    node_binary,
    partner_token,
    port_free,
    start,
    stop,
    wait_ready,
)
from bench.shapes import HUB_BATCH, HUB_ONE, PGL_BATCH, PGL_ONE, compare
from connectors.base import SourceDB, Store
from connectors.city import build_city
from connectors.crosswalk.reads import crosswalk_by_nik
from connectors.seeding import seeded_marker
from hub.settings import load_settings


@dataclass(frozen=True)
class HubSpec:
    """One hub of the comparison: its worker processes, and whether it reads over TCP."""

    workers: int
    tcp: bool = False

    @property
    def name(self) -> str:
        return (
            "hub" + (f" {self.workers}p" if self.workers > 1 else "") + (" tcp" if self.tcp else "")
        )


def hub_specs(text: str) -> list[HubSpec]:
    """``1,2,1tcp`` -> the hubs that list names; a clear error for anything else."""
    specs = []
    for item in text.split(","):
        item = item.strip()
        digits = item.removesuffix("tcp")
        if not digits.isdigit() or not 1 <= int(digits) <= 64:
            raise argparse.ArgumentTypeError(
                f"{item!r} is not a worker count (1 to 64), optionally ending in 'tcp'"
            )
        specs.append(HubSpec(int(digits), item.endswith("tcp")))
    if len(set(specs)) != len(specs):
        raise argparse.ArgumentTypeError(f"{text!r} names a hub twice")
    return specs


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pg", help="a PostgreSQL server URL (default: the embedded server)")
    p.add_argument("--socket", help="the --pg server's Unix-socket folder: connect through it")
    p.add_argument("--hubs", type=hub_specs, default=hub_specs("1,2"), help="e.g. 1,2 or 1,1tcp")
    p.add_argument("--existing", metavar="PREFIX", help="read products seeded earlier (city_)")
    p.add_argument(
        "--connections",
        type=int,
        help="each hub's [server] database_connections (default 4 for one hub, 2 for several:"
        " they, the floor and PostGraphile share a server's 100 connections)",
    )
    p.add_argument("--work", type=Path, default=Path(".data/bench"), help="work folder")
    p.add_argument("--setup", action="store_true", help="reinstall PostGraphile, rebuild data")
    p.add_argument("--citizens", type=int, default=10_000, help="citizens in the city")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--rounds", type=int, default=5, help="alternating rounds (medians over)")
    p.add_argument("--requests", type=int, default=200, help="requests per measurement")
    p.add_argument("--clients", type=int, default=8, help="concurrent clients")
    p.add_argument("--max-seconds", type=float, default=60.0, help="cap per measurement")
    p.add_argument("--hub-port", type=int, default=8093, help="the first hub's; then +1 each")
    p.add_argument("--pgl-port", type=int, default=5678)
    p.add_argument("--no-floor", action="store_true", help="skip the hub's raw-SQL floor")
    p.add_argument("--build-only", action="store_true", help="build the data, measure nothing")
    args = p.parse_args()
    if args.socket and not args.pg:
        p.error("--socket names the --pg server's socket folder: give --pg too")
    if any(spec.tcp for spec in args.hubs) and not args.pg:
        p.error("a tcp hub reads a --pg server over TCP (the embedded one has a socket only)")
    if args.existing and not args.pg:
        p.error("--existing reads databases on a named server: give --pg too")
    if args.connections is None:
        args.connections = 4 if len(args.hubs) == 1 else 2
    args.work = args.work.resolve()
    if args.existing:
        args.work = args.work / args.existing.rstrip("_")
    args.names = replica.Names.existing(args.existing) if args.existing else replica.Names()
    return args


@dataclass(frozen=True)
class Servers:
    """DSNs on the bench's server: through the socket where one is given, and over TCP."""

    dsn: replica.DsnOf
    tcp: replica.DsnOf
    how: str  # how the clients connect, for the report


@contextmanager
def server_of(url: str | None, socket_dir: str | None) -> Iterator[Servers]:
    """DSNs on the named server, or on the embedded one (started for the run)."""
    if url is not None:
        tcp = replica.dsn_of(url)
        how = f"Unix socket {socket_dir}" if socket_dir else "TCP"
        yield Servers(replica.dsn_of(url, socket_dir) if socket_dir else tcp, tcp, how)
        return
    from hub.embedded import EmbeddedServer

    embedded = EmbeddedServer(load_settings().data_dir / "pg", keep_running=False)
    try:
        # It listens on its socket only (no tcp hub without --pg: parse_args).
        how = f"Unix socket {embedded.socket_dir} (embedded server)"
        yield Servers(embedded.dsn, embedded.dsn, how)
    finally:
        embedded.stop()


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


async def run_rounds(args: argparse.Namespace, servers: Servers, pgl_srv: Server) -> None:
    """Measure the hubs of ``args.hubs`` (on ports from ``--hub-port``, answering) and
    PostGraphile, round by round."""
    conf = args.work / "citizen-hub.toml"
    one, batch = await niks_of_city(servers.dsn(args.names.of("siak")))
    json_headers = {"Content-Type": "application/json"}

    def bodies(one_q: str, batch_q: str) -> dict[str, bytes]:
        return {
            "1 citizen": json.dumps({"query": one_q, "variables": {"nik": one[0]}}).encode(),
            "100 citizens": json.dumps({"query": batch_q, "variables": {"niks": batch}}).encode(),
        }

    hub_targets = [
        Target(
            spec.name,
            f"http://127.0.0.1:{args.hub_port + i}/graphql",
            {},
            bodies(HUB_ONE, HUB_BATCH),
        )
        for i, spec in enumerate(args.hubs)
    ]
    pgl = Target(
        "PostGraphile",
        f"http://127.0.0.1:{args.pgl_port}/graphql",
        dict(json_headers),
        bodies(PGL_ONE, PGL_BATCH),
    )
    targets = [*hub_targets, pgl]
    timeout = aiohttp.ClientTimeout(total=30)
    sessions = [
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.clients), timeout=timeout)
        for _ in targets
    ]
    try:
        for target, session in zip(targets, sessions, strict=True):
            target.session = session

        async def pgl_up() -> bool:
            async with sessions[-1].post(pgl.url, json={"query": "{__typename}"}) as r:
                return r.status == 200

        await wait_ready(pgl_srv, pgl_up)
        token = await asyncio.to_thread(partner_token, conf)
        for target in hub_targets:
            target.headers = json_headers | {"Authorization": f"Bearer {token}"}

        print("\nchecking the answers (rows per product, per NIK):")
        matched = True
        in_doubt = await _in_doubt(conf, [*one, *batch])
        for shape in SHAPES:
            _, _, g = await one_request(pgl, pgl.bodies[shape])
            served = json.loads(g)
            for target in hub_targets:
                _, _, h = await one_request(target, target.bodies[shape])
                matched &= compare(shape, json.loads(h), served, in_doubt)

        print("warming up (40 sequential + 40 concurrent requests per shape each)")
        for t in targets:
            for shape in SHAPES:
                await measure(t, shape, 40, 1, args.max_seconds)
                await measure(t, shape, 40, args.clients, args.max_seconds)

        tally = Tally()
        floor = None if args.no_floor else await Floor(conf).__aenter__()
        try:
            for rnd in range(args.rounds):
                order = targets if rnd % 2 == 0 else targets[::-1]
                load = os.getloadavg()[0]
                print(f"\nround {rnd + 1}/{args.rounds} ({order[0].name} first)  load {load:.2f}")
                for shape, niks in (("1 citizen", one), ("100 citizens", batch)):
                    for mode, clients in (("seq", 1), (f"x{args.clients}", args.clients)):
                        for t in order:
                            r = await measure(t, shape, args.requests, clients, args.max_seconds)
                            tally.add((shape, mode, t.name), r)
                            print(
                                f"  {shape:<12} {mode:>4} {t.name:<14} p50 {r.p50:8.2f} ms"
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
    finally:
        for session in sessions:
            await session.close()
    print(
        f"\nconnections: the hubs' sources, the floor and PostGraphile over {servers.how}", end=""
    )
    print("; hubs marked tcp over TCP" if any(s.tcp for s in args.hubs) else "", end="")
    print(f"; [server] database_connections = {args.connections} per hub")
    report(tally, args.rounds, args.requests, args.clients, matched, [t.name for t in hub_targets])


async def answering(server: Server, url: str) -> None:
    """Return once ``url`` answers 200 (the process exiting first ends the run)."""
    async with aiohttp.ClientSession() as session:

        async def up() -> bool:
            async with session.get(url) as r:
                return r.status == 200

        await wait_ready(server, up)


async def _in_doubt(conf: Path, niks: list[str]) -> dict[str, set[str]]:
    """The records the hub withholds as in doubt for each of ``niks``, read as the graph
    reads them, by the key after the table's name (``pelamar:123`` -> ``123``): the key
    bench.shapes compares rows by (a queue ticket's row is its number and day, not its id,
    so a ticket in doubt still shows as a mismatch)."""
    pool = await asyncpg.create_pool(load_settings(conf).hub_dsn, min_size=1, max_size=1)
    try:
        found = await crosswalk_by_nik(SourceDB(Store.HUB, pool), niks)
    finally:
        await pool.close()
    return {
        nik: {record.split(":", 1)[-1] for _, record in crosswalk.doubts}
        for nik, crosswalk in found.items()
    }


def main() -> None:
    args = parse_args()
    # A SIGTERM ends the run through the finally blocks below, which stop every server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    ports = [args.pgl_port, *(args.hub_port + i for i in range(len(args.hubs)))]
    for port in ports:
        if not port_free(port):
            sys.exit(f"127.0.0.1:{port} is in use; pick another with --hub-port/--pgl-port")
    pgl_dir = args.work.parent / "pgl" if args.existing else args.work / "pgl"
    install_postgraphile(pgl_dir, args.setup)
    conf = args.work / "citizen-hub.toml"
    tcp_conf = args.work / "citizen-hub-tcp.toml"
    names: replica.Names = args.names
    with server_of(args.pg, args.socket) as servers:
        dsn = servers.dsn
        built = asyncio.run(replica.ready(dsn, names))
        marker = (
            asyncio.run(seeded_marker(dsn(names.of("siak")))) if built or args.existing else None
        )
        right_city = marker is not None and f"citizens={args.citizens} " in marker + " "
        if args.existing and not right_city:
            sys.exit(f"{names.of('siak')} is not a seeded city of {args.citizens} citizens")
        if args.setup or not conf.exists() or not built or not right_city:
            build = replica.build(
                dsn, conf, args.hub_port, args.citizens, args.seed, names, args.setup
            )
            asyncio.run(build)
        # Each hub's settings: its connections, and its sources over the socket or TCP.
        replica.write_settings(conf, dsn, args.hub_port, names, connections=args.connections)
        replica.write_settings(
            tcp_conf, servers.tcp, args.hub_port, names, kek_of=conf, connections=args.connections
        )
        if args.build_only:
            return
        env = replica.clean_env()
        pgl_env = {
            "NODE_PATH": str(pgl_dir / "node_modules"),
            "NODE_ENV": "production",
            "GRAPHILE_ENV": "production",
            "BENCH_PGL_DSN": dsn(names.replica),
            "BENCH_PGL_HOST": "127.0.0.1",
            "BENCH_PGL_PORT": str(args.pgl_port),
        }
        server_js = replica.HERE / "postgraphile" / "server.cjs"
        servers_started: list[Server] = []
        try:
            pgl_srv = start(
                "PostGraphile",
                [str(node_binary(pgl_dir)), str(server_js)],
                env | pgl_env,
                pgl_dir,
                args.work / "postgraphile.log",
            )
            servers_started.append(pgl_srv)
            for i, spec in enumerate(args.hubs):
                port = str(args.hub_port + i)
                serve = [
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    port,
                    "--workers",
                    str(spec.workers),
                ]
                cli = [str(replica.PROJECT / ".venv" / "bin" / "citizen-hub")]
                settings = tcp_conf if spec.tcp else conf
                srv = start(
                    spec.name,
                    [*cli, "--config", str(settings), *serve],
                    env,
                    replica.PROJECT,
                    args.work / f"hub-{i}.log",
                )
                servers_started.append(srv)
                # One at a time: each runs the hub database's migrations as it starts.
                asyncio.run(answering(srv, f"http://127.0.0.1:{port}/healthz"))
            asyncio.run(run_rounds(args, servers, pgl_srv))
        finally:
            for srv in servers_started:
                stop(srv)


if __name__ == "__main__":
    main()
