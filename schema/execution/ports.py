"""What the request machinery needs from the outside, and the values it passes around.

``Viewer`` (who asks), ``Relation`` (how a citizen relates to a citizen viewer),
``Refusal`` (why a request is refused before anything runs), ``Disclosed`` (what
one answer showed of one citizen), and the ports the hub implements:
:class:`DisclosureSink` (the disclosure log), :class:`Limiter` (rates and
budgets), :class:`Limits` (its settings' limits) and :class:`Consents` (citizens'
consents to apps). The hub hands them in when it builds the request's context:
``schema/`` never imports ``hub/``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol


class Relation(enum.Enum):
    """How a citizen in the answer relates to a citizen viewer."""

    SELF = "self"
    CHILD = "child"  # on the viewer's family card, and the viewer is a parent
    FAMILY = "family"  # on the viewer's family card otherwise
    STRANGER = "stranger"


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who asks, after authentication and purpose: the effective scopes decide."""

    scopes: frozenset[str]
    client_id: str | None = None
    subject: str | None = None
    nik: str | None = None  # citizen tokens
    purpose: str | None = None
    # The citizen's consent an app's token was bought under (the disclosure log names
    # it); None for partners, the city's own apps and the operator's tokens.
    consent_id: str | None = None

    @property
    def is_citizen(self) -> bool:
        return self.nik is not None

    def may(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def limit_key(self) -> str:
        """Whose rate and budget this request counts against.

        Per subject for citizens (every citizen token of one app shares its client
        id, and one citizen must never spend another's allowance); per client for
        partners.
        """
        if self.is_citizen:
            return f"citizen:{self.subject or self.nik}"
        return f"client:{self.client_id}"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is refused before anything runs, and how HTTP should say it."""

    code: str  # UNAUTHENTICATED | FORBIDDEN | LIMIT_EXCEEDED
    message: str
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    extensions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Disclosed:
    """What one request showed of one citizen."""

    fields: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)


class DisclosureSink(Protocol):
    """Where disclosures go (hub.audit's log); raises on failure."""

    async def record(
        self, request_id: str, viewer: Viewer, disclosed: Mapping[str, Disclosed]
    ) -> None: ...

    async def access_read(
        self, niks: Sequence[str], last: int, *, before: int | None, summary: bool
    ) -> dict[str, Any]:
        """Each NIK's ``last`` disclosures older than the row ``before`` (newest first)
        and, with ``summary``, all of them by client and purpose (one statement)."""
        ...


class Limiter(Protocol):
    """Request rates and distinct-NIK budgets (hub.limits); they raise LimitExceeded.

    ``key`` is :attr:`Viewer.limit_key` for an authenticated caller, or
    ``address:<ip>`` for an anonymous one.
    """

    async def check_request(self, key: str) -> None: ...

    async def charge_cost(self, key: str, cost: int) -> None: ...

    async def charge_niks(self, key: str, niks: Sequence[str]) -> None: ...


class Limits(Protocol):
    """The ``[limits]`` the request machinery enforces (hub.settings' ``Limits``)."""

    @property
    def max_citizens(self) -> int: ...  # NIKs one operation may name

    @property
    def max_aliases(self) -> int: ...

    @property
    def max_cost(self) -> int: ...

    @property
    def family_size(self) -> int: ...

    @property
    def max_variables_bytes(self) -> int: ...


class ConsentRecord(Protocol):
    """A citizen's consent to an app as the hub's OAuth store keeps it."""

    @property
    def id(self) -> str: ...

    @property
    def client_id(self) -> str: ...

    @property
    def client_name(self) -> str: ...

    @property
    def purpose(self) -> str: ...

    @property
    def purpose_description(self) -> str: ...

    @property
    def scopes(self) -> frozenset[str]: ...

    @property
    def granted_at(self) -> datetime: ...

    @property
    def expires_at(self) -> datetime: ...


class Consents(Protocol):
    """Citizens' consents to apps (hub.oauth's store), for ``consents`` and
    ``revokeConsent``; ``now`` is seconds since 1970 on the caller's clock."""

    async def sees_every_app(self, client_id: str | None) -> bool:
        """Whether a citizen token of this client sees every app's consent (the hub's
        own command line, a first-party app), not only its own."""
        ...

    async def in_force(
        self, subject: str, now: float, *, client_id: str | None
    ) -> Sequence[ConsentRecord]:
        """The citizen's consents in force, newest first (only ``client_id``'s if given)."""
        ...

    async def withdraw(self, subject: str, client_id: str, now: float) -> tuple[int, int]:
        """End the citizen's consents to ``client_id`` and revoke its sign-ins: how many
        consents, how many sign-ins."""
        ...

    def scope_words(self, scope: str, lang: Literal["id", "en"]) -> str:
        """The scope as the consent page names it, in Bahasa Indonesia or English."""
        ...
