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
from schema.access import Disclosed, Refusal
from schema.policy import Viewer

if TYPE_CHECKING:
    from hub.auth import Principal, TokenValidator

PURPOSE_HEADER = "X-Purpose"
SELF_SERVICE = "SELF_SERVICE"


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
                purpose=SELF_SERVICE,
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
            )
        )

    async def access_log(self, niks: Sequence[str], last: int) -> dict[str, list[Any]]:
        entries: dict[str, list[Any]] = await self.log.access_log(niks, last)
        return entries
