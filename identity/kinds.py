"""The kinds of identifier the crosswalk links, how links are made, and one parser for all.

:func:`canonical` turns what a source or a person wrote into the one form the
crosswalk stores, so ``01.234.567.8-416.000`` and ``0012345678416000`` are the
same NPWP and ``+62 812-…`` and ``0812…`` the same phone.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from connectors.base import Source
from identity import numbers
from identity.kk import KK
from identity.nik import NIK
from identity.nip import NIP
from identity.nisn import NISN
from identity.npwp import NPWP
from identity.phone import Phone


class IdentifierKind(enum.StrEnum):
    """What an identifier is."""

    NIK = "NIK"
    KK = "KK"  # nomor kartu keluarga
    NIP = "NIP"
    NISN = "NISN"
    NPWP = "NPWP"
    PHONE = "PHONE"
    PSB_REGISTRATION = "PSB_REGISTRATION"  # nomor pendaftaran PSB
    CPNS_REGISTRATION = "CPNS_REGISTRATION"  # nomor peserta CPNS
    APK_REQUEST = "APK_REQUEST"  # nomor permohonan APK
    QUEUE_TICKET = "QUEUE_TICKET"  # id tiket Antrian


class LinkMethod(enum.StrEnum):
    """How an identifier was tied to a NIK.

    EXACT: the record carries the NIK itself. DERIVED: through another system (a
    NIP through SIKDa, a vendor's NPWP through its directors, a parent's phone
    through the family card). MATCHED: by a rule, such as a walk-in's phone.
    """

    EXACT = "EXACT"
    DERIVED = "DERIVED"
    MATCHED = "MATCHED"


class LinkStatus(enum.StrEnum):
    """How far a link may be trusted.

    CERTAIN: served as the citizen's. CONFLICTED: the record carries the NIK, but
    what it says of the person (the name) is not what SIAK says of the NIK's
    holder; kept, with the evidence, for a steward, never served as certain.
    SUGGESTED: not what the record says but what it likely means (a NIK one typo
    from a registered one whose holder's name agrees); a candidate to review.
    """

    CERTAIN = "CERTAIN"
    CONFLICTED = "CONFLICTED"
    SUGGESTED = "SUGGESTED"


# Strongest first: a candidate found several ways is reported by its strongest.
METHOD_STRENGTH = {LinkMethod.EXACT: 3, LinkMethod.DERIVED: 2, LinkMethod.MATCHED: 1}

_PARSERS: dict[IdentifierKind, Callable[[str], str]] = {
    IdentifierKind.NIK: lambda raw: str(NIK.parse(raw)),
    IdentifierKind.KK: lambda raw: str(KK.parse(raw)),
    IdentifierKind.NIP: lambda raw: str(NIP.parse(raw)),
    IdentifierKind.NISN: lambda raw: str(NISN.parse(raw)),
    IdentifierKind.NPWP: lambda raw: str(NPWP.parse(raw)),
    IdentifierKind.PHONE: lambda raw: str(Phone.parse(raw)),
    IdentifierKind.PSB_REGISTRATION: numbers.PSB_REGISTRATION.parse,
    IdentifierKind.CPNS_REGISTRATION: numbers.CPNS_REGISTRATION.parse,
    IdentifierKind.APK_REQUEST: numbers.APK_REQUEST.parse,
    IdentifierKind.QUEUE_TICKET: numbers.QUEUE_TICKET.parse,
}


def canonical(kind: IdentifierKind, raw: str) -> str:
    """The stored form of ``raw`` as a ``kind``; raises InvalidIdentifier naming the rule."""
    return _PARSERS[kind](raw)


# The identifiers each system holds, in the order a bare string is read as one.
HELD_BY: dict[Source, tuple[IdentifierKind, ...]] = {
    Source.SIAK: (IdentifierKind.KK, IdentifierKind.NIK),
    Source.PSB: (
        IdentifierKind.PSB_REGISTRATION,
        IdentifierKind.NISN,
        IdentifierKind.KK,
        IdentifierKind.PHONE,
        IdentifierKind.NIK,
    ),
    Source.CPNS: (IdentifierKind.CPNS_REGISTRATION, IdentifierKind.PHONE, IdentifierKind.NIK),
    Source.SIKDA: (IdentifierKind.NIP, IdentifierKind.PHONE, IdentifierKind.NIK),
    Source.SIPBD: (IdentifierKind.NIP,),
    Source.LPSE: (IdentifierKind.NPWP, IdentifierKind.PHONE, IdentifierKind.NIK),
    Source.APK: (IdentifierKind.APK_REQUEST, IdentifierKind.PHONE, IdentifierKind.NIK),
    Source.ANTRIAN: (IdentifierKind.QUEUE_TICKET, IdentifierKind.PHONE, IdentifierKind.NIK),
}
