"""``citizen-hub clients|purposes|keys|token`` on a real hub database."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
from joserfc import jws

from hub.auth import TokenValidator
from hub.auth.cli import add_auth_parsers, run_auth_async
from hub.settings import Settings
from tests.conftest import ScratchDatabases
from tests.oauth_support import CITIZEN_NIK


@dataclass
class Run:
    status: int
    out: str
    err: str


@pytest.fixture(scope="module")
async def settings(test_databases: ScratchDatabases) -> Settings:
    return Settings(hub_dsn=(await test_databases.create("oauth_cli"))["hub"])


@pytest.fixture
async def validator(settings: Settings) -> AsyncIterator[TokenValidator]:
    assert settings.hub_dsn is not None
    pool = await asyncpg.create_pool(settings.hub_dsn, min_size=1, max_size=2)
    validator = TokenValidator.from_settings(settings.auth, pool)
    try:
        yield validator
    finally:
        await validator.close()
        await pool.close()


async def cli(settings: Settings, *argv: str, capsys: pytest.CaptureFixture[str]) -> Run:
    parser = argparse.ArgumentParser(prog="citizen-hub")
    add_auth_parsers(parser.add_subparsers(dest="command", required=True))
    out = io.StringIO()
    status = await run_auth_async(parser.parse_args(argv), settings, out)
    return Run(status, out.getvalue(), capsys.readouterr().err)


def claims_of(token: str) -> dict[str, object]:
    claims: dict[str, object] = json.loads(jws.extract_compact(token.encode()).payload or b"")
    return claims


async def test_register_a_partner_and_print_its_token(
    settings: Settings, validator: TokenValidator, capsys: pytest.CaptureFixture[str]
) -> None:
    run = await cli(
        settings, "purposes", "add", "ppdb", "--description", "PPDB admission", capsys=capsys
    )
    assert (run.status, run.out) == (0, "purpose ppdb: PPDB admission\n")
    run = await cli(
        settings,
        *("clients", "add", "--name", "Dinas Pendidikan", "--scope", "siak:profile,psb:read"),
        *("--scope", "siak:family", "--purpose", "ppdb=psb:read,siak:profile"),
        capsys=capsys,
    )
    assert run.status == 0, run.err
    fields = dict(line.split(None, 1) for line in run.out.splitlines()[:2])
    client_id, secret = fields["client_id"], fields["client_secret"]
    assert client_id.startswith("ch_") and len(secret) >= 43

    listed = await cli(settings, "clients", "list", capsys=capsys)
    assert f"{client_id}  Dinas Pendidikan  (active)" in listed.out
    assert "scopes   psb:read siak:family siak:profile" in listed.out
    assert "purpose  ppdb: psb:read siak:profile" in listed.out
    assert secret not in listed.out

    run = await cli(settings, "token", "--client", client_id, "--purpose", "ppdb", capsys=capsys)
    assert run.status == 0, run.err
    principal = await validator.authenticate("Bearer " + run.out.strip())
    assert (principal.client_id, principal.purpose) == (client_id, "ppdb")
    assert principal.scopes == {"psb:read", "siak:profile"}

    run = await cli(settings, "token", "--client", client_id, "--scope", "apk:write", capsys=capsys)
    assert run.status == 2
    assert run.err == "citizen-hub: scope apk:write is not allowed for this client\n"

    revoked = await cli(settings, "clients", "revoke", client_id, capsys=capsys)
    assert revoked.status == 0 and "revoked" in revoked.out
    run = await cli(settings, "token", "--client", client_id, capsys=capsys)
    assert (run.status, run.err) == (2, "citizen-hub: client authentication failed\n")


async def test_citizen_token_for_the_demo(
    settings: Settings, validator: TokenValidator, capsys: pytest.CaptureFixture[str]
) -> None:
    run = await cli(settings, "token", "--citizen", CITIZEN_NIK, capsys=capsys)
    assert run.status == 0, run.err
    claims = claims_of(run.out.strip())
    assert claims["nik"] == CITIZEN_NIK
    assert CITIZEN_NIK not in str(claims["sub"])
    principal = await validator.authenticate("Bearer " + run.out.strip())
    assert "audit:read" in principal.scopes and "siak:sensitive" in principal.scopes

    run = await cli(settings, "token", "--citizen", "3671019999990000", capsys=capsys)
    assert run.status == 2
    assert run.err.startswith("citizen-hub: digits 7-12 (999999) are no birth date")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["clients", "add", "--name", "X", "--scope", "psb:read", "--purpose", "nope=psb:read"],
            "citizen-hub: purpose nope is not registered; register it first:",
        ),
        (
            ["clients", "add", "--name", "X", "--scope", "psb:read", "--purpose", "ppdb"],
            "citizen-hub: --purpose ppdb: write CODE=SCOPE,SCOPE",
        ),
        (
            ["clients", "add", "--name", "X", "--scope", "psb:reed"],
            "citizen-hub: unknown scope psb:reed (known: ",
        ),
        (
            ["purposes", "add", "PPDB 2025", "--description", "x"],
            "citizen-hub: purpose code 'PPDB 2025' must be lower-case letters",
        ),
        (
            ["clients", "add", "--name", "X", "--scope", "psb:read", "--purpose", "PPDB=psb:read"],
            "citizen-hub: purpose code 'PPDB' must be lower-case letters",
        ),
        (["clients", "revoke", "ch_nobody"], "citizen-hub: no client ch_nobody"),
        (["keys", "retire", "nokid"], "citizen-hub: no signing key nokid"),
        (
            ["token", "--citizen", CITIZEN_NIK, "--purpose", "ppdb"],
            "citizen-hub: --purpose is for partner tokens",
        ),
    ],
)
async def test_operator_mistakes_get_one_line(
    settings: Settings, argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run = await cli(settings, *argv, capsys=capsys)
    assert run.status == 2
    assert run.err.startswith(expected), run.err
    assert run.err.count("\n") == 1


async def test_keys_rotate_and_list(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    before = await cli(settings, "keys", "list", capsys=capsys)
    run = await cli(settings, "keys", "rotate", capsys=capsys)
    assert run.status == 0
    kid = run.out.split()[4]
    after = await cli(settings, "keys", "list", capsys=capsys)
    assert after.out.startswith(f"{kid}  ES256  created ")
    assert after.out.splitlines()[0].endswith("active, signing")
    assert len(after.out.splitlines()) == len(before.out.splitlines()) + 1
    token = await cli(settings, "token", "--citizen", CITIZEN_NIK, capsys=capsys)
    assert jws.extract_compact(token.out.strip().encode()).headers()["kid"] == kid


def test_the_commands_are_wired_into_citizen_hub(settings: Settings) -> None:
    assert settings.hub_dsn is not None
    done = subprocess.run(
        [sys.executable, "-m", "hub", "purposes", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "CITIZEN_HUB_HUB_DSN": settings.hub_dsn},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ppdb ") or done.stdout.startswith("no purposes yet")


async def test_register_a_public_app_with_its_redirect_uris(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await cli(settings, "purposes", "add", "warga", "--description", "Layanan warga", capsys=capsys)
    run = await cli(
        settings,
        *("clients", "add", "--name", "Super-app Kota", "--public", "--first-party"),
        *("--redirect-uri", "https://app.example.id/callback"),
        *("--redirect-uri", "http://127.0.0.1/examples/super-app/"),
        *("--scope", "siak:profile", "--purpose", "warga=siak:profile"),
        capsys=capsys,
    )
    assert run.status == 0, run.err
    assert "client_secret" not in run.out and "no secret" in run.out
    client_id = run.out.split()[1]
    listed = await cli(settings, "clients", "list", capsys=capsys)
    assert f"{client_id}  Super-app Kota  (active, public, first-party)" in listed.out
    assert "redirect https://app.example.id/callback" in listed.out
    for bad, why in [
        (("--public",), "needs at least one --redirect-uri"),
        (("--redirect-uri", "http://app.example.id/cb"), "must use https"),
        (("--redirect-uri", "https://app.example.id/cb#x"), "#fragment"),
    ]:
        run = await cli(
            settings,
            *("clients", "add", "--name", "Bad", "--scope", "siak:profile", *bad),
            capsys=capsys,
        )
        assert run.status == 2 and why in run.err, run.err
