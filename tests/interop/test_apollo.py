"""Apollo Client (npm), the super-app's most likely client library, against the hub: the
reference super-app's main query as text, then the same query as a trusted document
registered with ``citizen-hub documents add`` and sent by id."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Source
from tests.interop.conftest import NodeScripts

ROOT = Path(__file__).parents[2]
SUPER_APP = ROOT / "hub/static/examples/super-app/super-app.graphql"


async def documents_add(dsns: dict[Source | str, str], folder: Path, *files: Path) -> Any:
    """``citizen-hub documents add --manifest`` on the hub's database; the manifest."""
    env = {
        **os.environ,
        **{f"CITIZEN_HUB_{source.name}_DSN": dsns[source] for source in Source},
        "CITIZEN_HUB_HUB_DSN": str(dsns["hub"]),
    }
    manifest = folder / "manifest.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        "documents",
        "add",
        "--manifest",
        str(manifest),
        *map(str, files),
        cwd=folder,  # no citizen-hub.toml of the work tree's
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, (out + err).decode()
    return json.loads(await asyncio.to_thread(manifest.read_text))


@pytest.fixture
async def manifest(writable_dsns: dict[Source | str, str], tmp_path: Path) -> Path:
    ids = await documents_add(writable_dsns, tmp_path, SUPER_APP)
    assert set(ids) == {"SuperApp"}
    return tmp_path / "manifest.json"


async def test_apollo_client_runs_the_super_apps_main_query_as_text_and_by_id(
    node: NodeScripts,
    hub_url: str,
    parent_token: str,
    manifest: Path,
) -> None:
    report = await node.run("apollo.mjs", hub_url, parent_token, str(manifest))
    main = report["main"]
    assert main["failure"] is None and main["fullName"]
    assert "HEAD" in main["relationships"] and "CHILD" in main["relationships"]
    # A relative's school admissions are not the citizen's to see: refused by field only.
    for error in main["errors"] or []:
        assert error["code"] == "FORBIDDEN" and error["path"][-1] == "schoolAdmissions", error
    # Apollo asks for the new media type first, and gets it.
    [sent] = report["mainSent"]
    assert sent["accept"].startswith("application/graphql-response+json")
    assert (sent["status"], sent["contentType"].split(";")[0]) == (
        200,
        "application/graphql-response+json",
    )
    # By id: one request, without the query's text, answered as the text was.
    assert report["persisted"] == main
    [sent] = report["persistedSent"]
    assert not sent["hasQuery"] and sent["persisted"]["sha256Hash"]
    assert sent["status"] == 200
