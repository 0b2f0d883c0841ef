"""NISN (Nomor Induk Siswa Nasional): a pupil's 10-digit national number.

The number is opaque to the hub: it encodes nothing the hub relies on.
"""

from __future__ import annotations

from dataclasses import dataclass

from identity.errors import InvalidIdentifier
from identity.layout import digits_of


class InvalidNISN(InvalidIdentifier):
    """A NISN broke one of its rules: ``digits``, ``length`` or ``zero``."""


@dataclass(frozen=True, slots=True)
class NISN:
    """A valid NISN. Build it with :meth:`parse`; ``str(nisn)`` is the 10 digits."""

    value: str

    @classmethod
    def parse(cls, raw: str) -> NISN:
        """Parse ``raw`` (spaces allowed) or raise :class:`InvalidNISN`."""
        digits = digits_of(raw, InvalidNISN, "a NISN", 10)
        if digits == "0" * 10:
            raise InvalidNISN("zero", "0000000000 is the placeholder for no NISN, not a NISN")
        return cls(digits)

    def __str__(self) -> str:
        return self.value
