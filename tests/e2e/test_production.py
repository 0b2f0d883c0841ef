"""``serve`` with the repository's own ``deploy/production.toml``, as an operator runs it.

Only what the file says comes from the environment (the DSNs, Redis, the key-encryption
key, the metrics token, the checkpoint file) is set here; every choice is the file's. The
hub must start, and then behave as the file promises: registered documents only, no
introspection, /metrics closed outside the monitoring network, no development sign-in.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench.serving import ServedHub, start_hub
from connectors.base import Source
from connectors.city import Family
from hub.migrate import migrate_dsn
from hub.settings import AuthSettings, Settings
from tests.conftest import ScratchDatabases
from tests.e2e.conftest import city_settings, grant

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ROOT / "deploy" / "production.toml"
ISSUER = "https://hub.tangerangkota.go.id"  # the file's [auth] issuer
QUERY = "query CitizenName($nik: NIK!) { citizen(nik: $nik) { fullName } }\n"
INTROSPECTION = "query Types { __schema { types { name } } }\n"


def environment(dsns: dict[Source | str, str], hub_dsn: str, folder: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CITIZEN_HUB")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update({f"CITIZEN_HUB_{source.name}_DSN": dsns[source] for source in Source})
    env.update(
        CITIZEN_HUB_CONFIG=str(PRODUCTION),
        CITIZEN_HUB_HUB_DSN=hub_dsn,
        CITIZEN_HUB_HOST="127.0.0.1",
        CITIZEN_HUB_DATA_DIR=str(folder),
        CITIZEN_HUB_REDIS_URL="redis://127.0.0.1:6379/11",
        CITIZEN_HUB_METRICS_TOKEN="metrics-token-of-the-test",
        CITIZEN_HUB_UPSTREAM_CLIENT_SECRET="secret-at-the-citys-provider",
        CITIZEN_HUB_AUDIT_CHECKPOINT_FILE=str(folder / "checkpoints.jsonl"),
    )
    return env


async def cli(env: dict[str, str], *argv: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", *argv, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


@pytest.fixture(scope="module")
async def production(
    city_dsns: dict[Source | str, str], test_databases: ScratchDatabases, tmp_path_factory: Any
) -> Any:
    folder = tmp_path_factory.mktemp("production")
    hub_dsn = (await test_databases.create("production"))["hub"]
    await migrate_dsn(hub_dsn)
    env = environment(city_dsns, hub_dsn, folder)
    (folder / "citizen.graphql").write_text(QUERY, encoding="utf-8")
    (folder / "types.graphql").write_text(INTROSPECTION, encoding="utf-8")
    hub = await start_hub(env, log=folder / "hub.log", ready="/readyz")
    settings = replace(
        city_settings(city_dsns),
        hub_dsn=hub_dsn,
        auth=AuthSettings(issuer=ISSUER, key_encryption_key=hub.kek),
    )
    try:
        code, out = await cli(
            hub.env,
            "documents",
            "add",
            str(folder / "citizen.graphql"),
            str(folder / "types.graphql"),
        )
        assert code == 0, out
        yield hub, settings, out
    finally:
        await hub.stop()


async def ask(hub: ServedHub, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(hub.url + "/graphql", json=body, headers=headers) as r,
    ):
        return dict(await r.json())


def document_id(listing: str, name: str) -> str:
    """The id `documents add` printed for the operation ``name``."""
    for line in listing.splitlines():
        if name in line and "sha256:" in line:
            return "sha256:" + line.split("sha256:", 1)[1].split()[0]
    raise AssertionError(f"documents add printed no id for {name}: {listing}")


async def test_the_production_file_starts_and_serves_registered_documents_only(
    production: tuple[ServedHub, Settings, str], family: Family
) -> None:
    hub, settings, listing = production
    headers = await grant(settings, name="qa-production")
    nik = family.head.nik
    by_id = await ask(
        hub, {"documentId": document_id(listing, "CitizenName"), "variables": {"nik": nik}}, headers
    )
    assert by_id["data"]["citizen"]["fullName"] == family.head.name, by_id
    as_text = await ask(hub, {"query": QUERY, "variables": {"nik": nik}}, headers)
    error = as_text["errors"][0]
    assert error["extensions"]["code"] == "FORBIDDEN", as_text
    assert error["extensions"]["reason"] == "trusted_documents_only"
    assert "data" not in as_text or as_text["data"] is None


async def test_introspection_is_off_even_in_a_registered_document(
    production: tuple[ServedHub, Settings, str],
) -> None:
    hub, settings, listing = production
    headers = await grant(settings, name="qa-production-types")
    body = await ask(hub, {"documentId": document_id(listing, "Types")}, headers)
    assert body["errors"][0]["extensions"]["reason"] == "introspection_disabled", body
    assert not body.get("data")


async def test_metrics_are_closed_outside_the_monitoring_network(
    production: tuple[ServedHub, Settings, str],
) -> None:
    hub, _, _ = production
    token = {"Authorization": "Bearer metrics-token-of-the-test"}
    async with aiohttp.ClientSession() as session:
        async with session.get(hub.url + "/metrics", headers=token) as r:
            assert r.status == 403  # loopback is not in [metrics] networks
            assert "citizen_hub_requests_total" not in await r.text()
        async with session.get(hub.url + "/healthz") as r:
            assert r.status == 200


async def test_there_is_no_development_sign_in(
    production: tuple[ServedHub, Settings, str],
) -> None:
    hub, _, _ = production
    path, pages = "/oauth/sign-in", []
    async with aiohttp.ClientSession() as session:
        for _ in range(5):  # follow the hub's own redirects until one leaves it
            async with session.get(hub.url + path, allow_redirects=False) as r:
                pages.append(await r.text())
                status, path = r.status, r.headers.get("Location", "")
            if status not in (302, 303) or not path.startswith("/"):
                break
    assert all('name="birth_date"' not in page for page in pages)  # no NIK + code form
    # Off to the city's provider, or its page saying it cannot be reached (none runs here).
    assert (status in (302, 303) and path.startswith("https://sso.tangerangkota.go.id/")) or (
        status in (502, 503)
    ), (status, path)
