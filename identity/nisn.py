"""NISN (Nomor Induk Siswa Nasional): a pupil's 10-digit national number.

The number is opaque to the hub: it encodes nothing the hub relies on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from identity.errors import InvalidIdentifier

_SEPARATORS = re.compile(r"[\s.\-]")
_DIGITS = re.compile(r"[0-9]+")


class InvalidNISN(InvalidIdentifier):
    """A NISN broke one of its rules: ``digits``, ``length`` or ``zero``."""


@dataclass(frozen=True, slots=True)
class NISN:
    """A valid NISN. Build it with :meth:`parse`; ``str(nisn)`` is the 10 digits."""

    value: str

    @classmethod
    def parse(cls, raw: str) -> NISN:
        """Parse ``raw`` (spaces allowed) or raise :class:`InvalidNISN`."""
        digits = _SEPARATORS.sub("", raw)
        if not _DIGITS.fullmatch(digits):
            raise InvalidNISN("digits", "a NISN holds only digits")
        if len(digits) != 10:
            raise InvalidNISN("length", f"a NISN has 10 digits, this one has {len(digits)}")
        if digits == "0" * 10:
            raise InvalidNISN("zero", "0000000000 is the placeholder for no NISN, not a NISN")
        return cls(digits)

    def __str__(self) -> str:
        return self.value
