"""The auth commands (``clients``, ``purposes``, ``keys``, ``token``) as ``citizen-hub``
runs them: :func:`hub.auth.cli.run_auth`, with what it leaves out: ``token --citizen``
refuses a NIK the register does not know, ``token`` says when its token expires, and
``clients add`` prints the commands to run next.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import sys
from datetime import datetime

import asyncpg

from connectors.base import DATABASE_ERRORS, Source, SourceDB
from hub.auth.cli import run_auth
from hub.cli_commands import url_host
from hub.databases import Databases, resolve
from hub.demo import cli_command
from hub.settings import Settings
from identity.nik import NIK, InvalidNIK


def auth_command(args: argparse.Namespace, settings: Settings) -> int:
    """The auth commands, with what they leave out: ``token --citizen`` refuses a NIK the
    register does not know; ``token`` says when its token expires; ``clients add`` prints
    the commands to run next."""
    databases: Databases | None = None
    try:
        if args.command == "token" and args.citizen is not None:
            databases = asyncio.run(resolve(settings))
            settings = databases.settings
            problem = asyncio.run(_unknown_citizen(settings, args.citizen))
            if problem is not None:
                print(f"citizen-hub: {problem}", file=sys.stderr)
                return 2
        adding = (args.command, getattr(args, "auth_action", None)) == ("clients", "add")
        if args.command != "token" and not adding:
            return run_auth(args, settings)
        out = io.StringIO()
        status = run_auth(args, settings, out)
    finally:
        if databases is not None:
            databases.stop()
    sys.stdout.write(out.getvalue())
    sys.stdout.flush()
    if status == 0 and args.command == "token":
        print(
            f"({_token_expiry(out.getvalue())}; the same command makes a new one)", file=sys.stderr
        )
    if status == 0 and adding:
        print(_next_after_client(args, settings, out.getvalue()))
    return status


async def _unknown_citizen(settings: Settings, nik: str) -> str | None:
    """Why a citizen token for ``nik`` would be useless, or None: SIAK must know the NIK
    (a token for anyone else answers null everywhere, which looks like a broken hub)."""
    try:
        parsed = str(NIK.parse(nik))
    except InvalidNIK:
        return None  # the token command itself says what is wrong with it
    from connectors.siak.reads import registered

    try:
        pool = await asyncpg.create_pool(
            settings.source_dsns[Source.SIAK], min_size=1, max_size=1, timeout=10
        )
    except DATABASE_ERRORS as exc:
        return f"cannot read SIAK to check NIK {parsed} ({type(exc).__name__})"
    try:
        known = await registered(SourceDB(Source.SIAK, pool), [parsed])
    finally:
        await pool.close()
    if parsed in known:
        return None
    return (
        f"NIK {parsed} is not in SIAK's population register, so its token would see"
        " nothing; use a NIK the demo printed (make demo lists the showcase families)"
    )


def _token_expiry(printed: str) -> str:
    try:
        payload = printed.strip().split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp, iat = int(claims["exp"]), int(claims["iat"])
    except (IndexError, ValueError, KeyError, TypeError):
        return "see its exp claim for when it expires"
    minutes = (exp - iat) // 60
    span = f"{minutes // 60} h" if minutes >= 60 and minutes % 60 == 0 else f"{minutes} min"
    return f"expires in {span}, at {datetime.fromtimestamp(exp):%H:%M}"


def _next_after_client(args: argparse.Namespace, settings: Settings, printed: str) -> str:
    fields = dict(line.split(None, 1) for line in printed.splitlines() if " " in line)
    client_id = fields.get("client_id", "CLIENT_ID").strip()
    if getattr(args, "public", False):
        return (
            "Next: the app signs citizens in with this client_id (authorization code with"
            " PKCE, to a registered redirect URI): docs/sign-in.md"
        )
    purposes = [spec.partition("=")[0] for spec in args.purpose]
    purpose = f" -d purpose={purposes[0]}" if purposes else ""
    operator = f" --purpose {purposes[0]}" if purposes else ""
    url = f"http://{url_host(settings.host)}:{settings.port}/oauth/token"
    return "\n".join(
        [
            "Next: the partner gets a token with its id and secret (docs/partners.md):",
            f"  curl -s -u '{client_id}:<client_secret>' -d grant_type=client_credentials"
            f"{purpose} {url}",
            "or the operator prints one, without the secret:",
            f"  {cli_command()} token --client {client_id}{operator}",
        ]
    )
