"""``citizen-hub clients|purposes|keys|token``: the operator's side of the hub's OAuth.

    citizen-hub purposes add ppdb --description "PPDB school admission checks"
    citizen-hub clients add --name "Dinas Pendidikan" --scope siak:profile psb:read \\
        --purpose ppdb=siak:profile,psb:read          # prints client_id and, once, the secret
    citizen-hub clients add --name "Super-app Kota" --public \
        --redirect-uri https://app.tangerangkota.go.id/callback \
        --scope siak:profile psb:read --purpose layanan-warga=siak:profile,psb:read
    citizen-hub clients list | clients revoke CLIENT_ID
    citizen-hub keys rotate [--alg RS256] | keys list | keys retire KID
    citizen-hub token --client CLIENT_ID [--scope psb:read] [--purpose ppdb]
    citizen-hub token --citizen NIK                    # a citizen's token, for the demo

``token`` prints only the token, so ``TOKEN=$(citizen-hub token ...)`` works.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final, TextIO

import asyncpg

from connectors.base import DATABASE_ERRORS
from hub.auth.clients import add_client, add_purpose, list_clients, list_purposes, revoke_client
from hub.auth.errors import AuthAdminError, TokenRequestError
from hub.auth.scopes import CITIZEN_SCOPES, format_scope
from hub.auth.tokens import issue_citizen_token, issue_client_token, signing_keys
from hub.databases import hub_dsn
from hub.migrate import migrate
from hub.settings import Settings, redact
from identity.nik import InvalidNIK

if TYPE_CHECKING:
    from hub.auth.clients import Client

AUTH_COMMANDS: Final = frozenset({"clients", "purposes", "keys", "token"})
_DB_ERRORS = DATABASE_ERRORS


def add_auth_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``clients``, ``purposes``, ``keys`` and ``token`` on the ``citizen-hub`` parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, help="embedded server folder (default .data)")

    clients = commands.add_parser("clients", help="OAuth clients (partners, the super-app)")
    client_actions = clients.add_subparsers(dest="auth_action", required=True)
    add = client_actions.add_parser(
        "add", parents=[common], help="register a client; prints its secret once"
    )
    add.add_argument("--name", required=True, help="who the client is, e.g. the agency")
    add.add_argument(
        "--scope", nargs="+", action="extend", required=True, help="scopes it may be given"
    )
    add.add_argument(
        "--purpose",
        action="append",
        default=[],
        metavar="CODE=SCOPE,SCOPE",
        help="a registered purpose it may declare, and the scopes that purpose allows",
    )
    add.add_argument(
        "--public",
        action="store_true",
        help="a browser or phone app: no secret, signs citizens in with PKCE (needs"
        " --redirect-uri)",
    )
    add.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        metavar="URI",
        help="where citizens come back after signing in (exact; repeat for several)",
    )
    add.add_argument(
        "--first-party",
        action="store_true",
        help="the city's own app: citizens signing in to it are not asked for consent",
    )
    client_actions.add_parser("list", parents=[common], help="every client, revoked ones too")
    revoke = client_actions.add_parser(
        "revoke", parents=[common], help="refuse its new and existing tokens"
    )
    revoke.add_argument("client_id")

    purposes = commands.add_parser("purposes", help="the registered purposes of processing")
    purpose_actions = purposes.add_subparsers(dest="auth_action", required=True)
    register = purpose_actions.add_parser(
        "add", parents=[common], help="register a purpose (or reword it)"
    )
    register.add_argument("code")
    register.add_argument("--description", required=True)
    purpose_actions.add_parser("list", parents=[common])

    keys = commands.add_parser("keys", help="the hub's token signing keys")
    key_actions = keys.add_subparsers(dest="auth_action", required=True)
    rotate = key_actions.add_parser(
        "rotate", parents=[common], help="a new key signs; older ones stay published"
    )
    rotate.add_argument("--alg", choices=("ES256", "RS256"))
    key_actions.add_parser("list", parents=[common])
    retire = key_actions.add_parser(
        "retire", parents=[common], help="unpublish a key: tokens it signed stop validating"
    )
    retire.add_argument("kid")

    token = commands.add_parser(
        "token", parents=[common], help="print an access token (operator command, no secret)"
    )
    who = token.add_mutually_exclusive_group(required=True)
    who.add_argument("--citizen", metavar="NIK", help="a citizen's own token, for the demo")
    who.add_argument("--client", metavar="CLIENT_ID", help="a registered client's token")
    token.add_argument("--scope", nargs="+", action="extend", help="default: all it may have")
    token.add_argument("--purpose", help="a purpose registered for the client")


def run_auth(args: argparse.Namespace, settings: Settings, out: TextIO = sys.stdout) -> int:
    """Run the auth command ``args`` names; returns the exit status."""
    return asyncio.run(run_auth_async(args, settings, out))


async def run_auth_async(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    action = _ACTIONS.get((args.command, getattr(args, "auth_action", None)))
    if action is None:
        return 2
    try:
        async with hub_dsn(settings) as dsn:
            try:
                pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2, timeout=10)
            except _DB_ERRORS as exc:
                raise AuthAdminError(f"cannot reach {redact(dsn)} ({type(exc).__name__})") from None
            try:
                async with pool.acquire() as conn:
                    await migrate(conn)
                await action(pool, args, settings, out)
            finally:
                await pool.close()
    except (AuthAdminError, TokenRequestError, InvalidNIK) as exc:
        print(f"citizen-hub: {exc}", file=sys.stderr)
        return 2
    return 0


Action = Callable[[asyncpg.Pool, argparse.Namespace, Settings, TextIO], Awaitable[None]]


async def _clients_add(
    pool: asyncpg.Pool, args: argparse.Namespace, settings: Settings, out: TextIO
) -> None:
    purposes: dict[str, list[str]] = {}
    for spec in args.purpose:
        code, equals, scopes = spec.partition("=")
        if not equals or not scopes:
            raise AuthAdminError(f"--purpose {spec}: write CODE=SCOPE,SCOPE (e.g. ppdb=psb:read)")
        purposes[code] = _split(scopes)
    async with pool.acquire() as conn:
        client, secret = await add_client(
            conn,
            args.name,
            _split(*args.scope),
            purposes,
            public=args.public,
            redirect_uris=args.redirect_uri,
            first_party=args.first_party,
        )
    print(f"client_id      {client.client_id}", file=out)
    if client.public:
        print("(a public client: no secret; it signs citizens in with PKCE)", file=out)
        return
    print(f"client_secret  {secret}", file=out)
    print("(the secret is shown this once and not stored; keep it now)", file=out)


async def _clients_list(
    pool: asyncpg.Pool, args: argparse.Namespace, settings: Settings, out: TextIO
) -> None:
    async with pool.acquire() as conn:
        clients = await list_clients(conn)
    if not clients:
        print("no clients yet (citizen-hub clients add --name ... --scope ...)", file=out)
    for client in clients:
        print(format_client(client), file=out)


def format_client(client: Client) -> str:
    """A client in a few lines: id, name, state, scopes, purposes."""
    state = f"revoked {client.revoked_at:%Y-%m-%d %H:%M}" if client.revoked_at else "active"
    kind = ", public" if client.public else ""
    kind += ", first-party" if client.first_party else ""
    lines = [f"{client.client_id}  {client.name}  ({state}{kind})"]
    lines.append(f"    scopes   {format_scope(client.scopes)}")
    for uri in client.redirect_uris:
        lines.append(f"    redirect {uri}")
    for code, scopes in sorted(client.purposes.items()):
        lines.append(f"    purpose  {code}: {format_scope(scopes)}")
    return "\n".join(lines)


async def _clients_revoke(
    pool: asyncpg.Pool, args: argparse.Namespace, settings: Settings, out: TextIO
) -> None:
    async with pool.acquire() as conn:
        client = await revoke_client(conn, args.client_id)
    print(f"revoked {client.client_id} ({client.name}); its tokens are refused from now", file=out)


async def _purposes_add(
    pool: asyncpg.Pool, args: argparse.Namespace, settings: Settings, out: TextIO
) -> None:
    async with pool.acquire() as conn:
        purpose = await add_purpose(conn, args.code, args.description)
    print(f"purpose {purpose.code}: {purpose.description}", file=out)


async def _purposes_list(
    pool: asyncpg.Pool, args: argparse.Namespace, settings: Settings, out: TextIO
) -> None:
    async with pool.acquire() as conn:
        purposes = await list_purposes(conn)
    if not purposes:
        print("no purposes yet (citizen-hub purposes add CODE --description ...)", file=out)
    for purpose in purposes:
        print(f"{purpose.code:<24} {purpose.description}", file=out)


async def _keys_rotate(
    pool: asyncpg.Pool, args: argparse.Namespace, settings: Settings, out: TextIO
) -> None:
    async with pool.acquire() as conn:
        kid = await signing_keys(settings.auth).rotate(conn, args.alg)
    print(f"signing with new key {kid}", file=out)
    print("(older keys stay published until: citizen-hub keys retire KID)", file=out)


async def _keys_list(
    pool: asyncpg.Pool, args: argparse.Namespace, settings: Settings, out: TextIO
) -> None:
    async with pool.acquire() as conn:
        keys = await signing_keys(settings.auth).list(conn)
    if not keys:
        print("no signing keys yet (serving the hub or keys rotate creates one)", file=out)
    for key in keys:
        if key.retired_at is not None:
            state = f"retired {key.retired_at:%Y-%m-%d %H:%M}"
        else:
            state = "active, signing" if key.active else "published"
        print(f"{key.kid}  {key.alg}  created {key.created_at:%Y-%m-%d %H:%M}  {state}", file=out)


async def _keys_retire(
    pool: asyncpg.Pool, args: argparse.Namespace, settings: Settings, out: TextIO
) -> None:
    async with pool.acquire() as conn:
        await signing_keys(settings.auth).retire(conn, args.kid)
    print(f"retired {args.kid}: tokens it signed are refused from now", file=out)


async def _token(
    pool: asyncpg.Pool, args: argparse.Namespace, settings: Settings, out: TextIO
) -> None:
    async with pool.acquire() as conn:
        await signing_keys(settings.auth).ensure(conn)
    scopes = _split(*args.scope) if args.scope else None
    if args.citizen is not None:
        if args.purpose is not None:
            raise AuthAdminError("--purpose is for partner tokens (--client), not citizens")
        issued = await issue_citizen_token(
            pool, settings.auth, args.citizen, scopes=scopes or CITIZEN_SCOPES
        )
    else:
        scope = " ".join(scopes) if scopes else None
        issued = await issue_client_token(
            pool, settings.auth, args.client, scope=scope, purpose=args.purpose
        )
    print(issued.access_token, file=out)


def _split(*values: str) -> list[str]:
    """Scopes given as separate words, or joined by commas or spaces."""
    return [s for v in values for s in v.replace(",", " ").split() if s]


_ACTIONS: Final[dict[tuple[str, str | None], Action]] = {
    ("clients", "add"): _clients_add,
    ("clients", "list"): _clients_list,
    ("clients", "revoke"): _clients_revoke,
    ("purposes", "add"): _purposes_add,
    ("purposes", "list"): _purposes_list,
    ("keys", "rotate"): _keys_rotate,
    ("keys", "list"): _keys_list,
    ("keys", "retire"): _keys_retire,
    ("token", None): _token,
}
