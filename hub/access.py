"""From a validated token to a Viewer: the declared purpose and the scopes it allows.

A partner declares a registered purpose with each request (the ``X-Purpose``
header, or the token's ``purpose`` claim); the effective scopes are the token's
scopes within those the purpose allows for that client. A citizen token acts
for its own NIK under the fixed purpose ``SELF_SERVICE``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.audit import Disclosure, DisclosureLog, DisclosureRequest
from hub.auth import AuthError
from schema.execution.ports import Disclosed, Refusal, Viewer

if TYPE_CHECKING:
    from hub.auth import Principal, TokenValidator

PURPOSE_HEADER = "X-Purpose"
SELF_SERVICE = "SELF_SERVICE"


async def authenticate(
    validator: TokenValidator, authorization: str | None, declared_purpose: str | None
) -> tuple[Viewer | None, Refusal | None]:
    """Who a request's ``Authorization`` header says it is, under its declared purpose.

    (None, None) when no header came: anonymous, and the access policy says what
    that may see. Over HTTP this runs once per request; on a websocket once when it
    connects and again before each operation, so an expired or revoked token stops
    working there too.
    """
    if authorization is None:
        return None, None
    try:
        principal = await validator.authenticate(authorization)
    except AuthError as exc:
        # 400 malformed header, 401 bad token, 503 an issuer's keys unreachable:
        # in every case the caller is not authenticated; the status says why.
        return None, Refusal(
            "UNAUTHENTICATED",
            exc.description or "invalid token",
            status=exc.status,
            headers=exc.headers,
        )
    try:
        return await viewer_for(principal, declared_purpose, validator)
    except AuthError as exc:  # the client registry cannot be read now (503)
        return None, Refusal(
            "UNAUTHENTICATED", exc.description, status=exc.status, headers=exc.headers
        )


def forbidden(message: str, **extensions: str) -> Refusal:
    return Refusal("FORBIDDEN", message, status=403, extensions=extensions)


async def viewer_for(
    principal: Principal, declared: str | None, validator: TokenValidator
) -> tuple[Viewer | None, Refusal | None]:
    """The viewer a principal acts as under the purpose it declares, or why it may not.

    The client's registered purposes come from the validator's brief client cache,
    the same read that checked the token's client is not revoked.
    """
    if principal.nik is not None:
        return (
            Viewer(
                scopes=frozenset(principal.scopes),
                client_id=principal.client_id,
                subject=principal.subject,
                nik=principal.nik,
                # An app acting for a citizen declares its own purpose; the CLI's does not.
                purpose=principal.purpose or SELF_SERVICE,
                consent_id=principal.consent_id,
            ),
            None,
        )
    claimed = principal.purpose
    if declared and claimed and declared != claimed:
        return None, forbidden(
            f"the {PURPOSE_HEADER} header ({declared}) differs from the token's purpose"
            f" ({claimed})",
            reason="purpose_mismatch",
        )
    purpose = declared or claimed
    if not purpose:
        return None, forbidden(
            f"declare the purpose of this request: a registered purpose code in the"
            f" {PURPOSE_HEADER} header or the token's purpose claim",
            reason="purpose_missing",
        )
    client = await validator.registered_client(principal)
    if client is None or purpose not in client.purposes:
        return None, forbidden(
            f"purpose {purpose} is not registered for this client", reason="purpose_unknown"
        )
    return (
        Viewer(
            scopes=frozenset(principal.scopes) & client.purposes[purpose],
            client_id=principal.client_id,
            subject=principal.subject,
            purpose=purpose,
        ),
        None,
    )


@dataclass(slots=True)
class AuditSink:
    """The schema's DisclosureSink over hub.audit's log."""

    log: DisclosureLog

    async def record(
        self, request_id: str, viewer: Viewer, disclosed: Mapping[str, Disclosed]
    ) -> None:
        await self.log.record(
            DisclosureRequest(
                request_id=request_id,
                client_id=viewer.client_id,
                subject=viewer.subject,
                purpose=viewer.purpose,
                disclosures=[
                    Disclosure(nik=nik, sources=sorted(d.sources), fields=sorted(d.fields))
                    for nik, d in disclosed.items()
                ],
                consent_id=viewer.consent_id,
            )
        )

    async def access_read(
        self, niks: Sequence[str], last: int, *, before: int | None, summary: bool
    ) -> dict[str, Any]:
        read: dict[str, Any] = await self.log.access_read(
            niks, last, before=before, summary=summary
        )
        return read
