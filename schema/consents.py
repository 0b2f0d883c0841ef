"""A citizen's consents to apps, and withdrawing one.

The consents are hub.oauth's: the hub hands them in with the request's context
(``context.consents``, the :class:`~schema.execution.ports.Consents` port).

Two resolvers for the lead to attach (this module edits no other schema file)::

    # schema/citizen/types.py, on Citizen:
    consents: list[Consent] | None = strawberry.field(
        resolver=consents_of,
        description="The apps this citizen allowed to see their data (their own token only)",
    )

    # schema/mutation.py, on Mutation:
    revoke_consent = strawberry.mutation(
        resolver=revoke_consent,
        description="Withdraw the citizen's consent to an app: its refresh tokens stop at once",
    )

Who sees what: only the citizen's own token (``me { consents }``); a partner asking about
a citizen gets FORBIDDEN. An app's token sees and withdraws only that app's consent; a
first-party app's token (the city's own) and ``citizen-hub token --citizen`` see and
withdraw every one.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import strawberry

from connectors.base import Store
from schema.errors import Forbidden, SourceUnavailable

if TYPE_CHECKING:
    from schema.execution.ports import ConsentRecord, Consents, Viewer


@strawberry.type(description="One kind of data an app may see, as the consent page named it.")
class ConsentScope:
    scope: str = strawberry.field(description="the OAuth scope, e.g. psb:read")
    description: str = strawberry.field(description="in Bahasa Indonesia, as the citizen read it")
    description_en: str = strawberry.field(description="the same in English")


@strawberry.type(
    description="A citizen's consent to an app (izin aplikasi): which app, under which of"
    " its registered purposes, to which data, until when."
)
class Consent:
    id: strawberry.ID = strawberry.field(description="names the consent in the disclosure log")
    app_id: strawberry.ID = strawberry.field(description="the app's OAuth client_id")
    app_name: str
    purpose: str = strawberry.field(description="the registered purpose code")
    purpose_description: str
    scopes: list[ConsentScope]
    granted_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, record: ConsentRecord, book: Consents) -> Consent:
        return cls(
            id=strawberry.ID(record.id),
            app_id=strawberry.ID(record.client_id),
            app_name=record.client_name,
            purpose=record.purpose,
            purpose_description=record.purpose_description,
            scopes=[
                ConsentScope(
                    scope=s,
                    description=book.scope_words(s, "id"),
                    description_en=book.scope_words(s, "en"),
                )
                for s in sorted(record.scopes)
            ],
            granted_at=record.granted_at,
            expires_at=record.expires_at,
        )


@strawberry.type(description="What withdrawing a consent did.")
class ConsentWithdrawal:
    app_id: strawberry.ID
    withdrawn: bool = strawberry.field(
        description="a consent was in force and is now withdrawn (false: there was none)"
    )
    revoked_sign_ins: int = strawberry.field(
        description="the app's sign-ins revoked: their refresh tokens no longer work, their"
        " access tokens stop within the hub's revocation cache (seconds)"
    )


# ``strawberry.Info``, not schema.context's Info: this module is imported by
# schema/citizen/types.py, which schema.context (through schema.federation) imports.
Info = strawberry.Info[Any, Any]


def _consents(info: Info) -> Consents:
    """The hub's consent store, handed in with the request's context."""
    book: Consents | None = getattr(info.context, "consents", None)
    if book is None:
        raise SourceUnavailable(Store.HUB, "the hub database is not connected")
    return book


def _citizen(info: Info) -> Viewer:
    viewer: Viewer | None = info.context.viewer
    if viewer is None or viewer.nik is None or viewer.subject is None:
        raise Forbidden(
            "consents are the citizen's own: ask with the citizen's token", reason="citizen_only"
        )
    return viewer


async def consents_of(root: Any, info: Info) -> list[Consent] | None:
    """``Citizen.consents``: the consents in force of the citizen asking about themself."""
    viewer = _citizen(info)
    if str(getattr(root, "nik", "")) != viewer.nik:
        raise Forbidden("a citizen sees their own consents only", reason="not_own_data")
    book = _consents(info)
    # The hub's command line and a first-party app see every consent; others their own.
    only = None if await book.sees_every_app(viewer.client_id) else viewer.client_id
    assert viewer.subject is not None
    found = await book.in_force(viewer.subject, time.time(), client_id=only)
    return [Consent.of(record, book) for record in found]


async def revoke_consent(info: Info, app_id: strawberry.ID) -> ConsentWithdrawal:
    """``revokeConsent(appId)``: withdraw the asking citizen's consent to ``appId``."""
    viewer = _citizen(info)
    book = _consents(info)
    if app_id != viewer.client_id and not await book.sees_every_app(viewer.client_id):
        raise Forbidden("an app may withdraw only the consent given to itself", reason="other_app")
    assert viewer.subject is not None
    consents, grants = await book.withdraw(viewer.subject, str(app_id), time.time())
    return ConsentWithdrawal(app_id=app_id, withdrawn=consents > 0, revoked_sign_ins=grants)
