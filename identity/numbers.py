"""The numbers products give their own records: registrations, requests, tickets.

They belong to one product each and encode nothing about the person, but a
partner holding one may ask the hub whose it is. Each is normalised (case,
surrounding spaces) and checked against the product's layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from identity.errors import InvalidIdentifier


class InvalidRecordNumber(InvalidIdentifier):
    """A product's record number is not in that product's layout (rule ``format``)."""


@dataclass(frozen=True, slots=True)
class Layout:
    """One product's numbering: a pattern and how to describe it to a person."""

    name: str
    pattern: re.Pattern[str]
    example: str

    def parse(self, raw: str) -> str:
        """The number in its stored form, or :class:`InvalidRecordNumber`."""
        text = re.sub(r"\s+", "", raw).upper()
        if not self.pattern.fullmatch(text):
            raise InvalidRecordNumber(
                "format", f"a {self.name} looks like {self.example}, not {raw.strip()[:40]!r}"
            )
        return text


# nomor pendaftaran PSB: level, admission year, serial.
PSB_REGISTRATION = Layout(
    "PSB registration number", re.compile(r"(SD|SMP)-\d{4}-\d{6}"), "SMP-2026-000123"
)
# nomor peserta CPNS: two-digit year, agency code, serial.
CPNS_REGISTRATION = Layout("CPNS registration number", re.compile(r"\d{13}"), "2436710000123")
# nomor permohonan APK: month, year, serial.
APK_REQUEST = Layout(
    "district request number", re.compile(r"APK/\d{2}/\d{4}/\d{6}"), "APK/05/2026/000123"
)
# id tiket Antrian: the ticket's number in the queue system (not the A-042 on the slip).
QUEUE_TICKET = Layout("queue ticket id", re.compile(r"[1-9]\d{0,17}"), "100042")
