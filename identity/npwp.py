"""NPWP (Nomor Pokok Wajib Pajak): the taxpayer number, in its three forms.

- The old 15 digits, printed ``01.234.567.8-901.000``: taxpayer type (2), serial
  (6), check digit (1), tax office KPP (3), branch (3; 000 is the head office).
- The 16-digit form used since 2024 for everyone who is not a resident
  individual: ``0`` and the old 15 digits.
- A resident individual's NIK, which is now their NPWP.

``str(npwp)`` is the 16-digit form, so the old and new spellings of one number
are the same value.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from identity.errors import InvalidIdentifier
from identity.layout import digits_of
from identity.nik import NIK, InvalidNIK


class InvalidNPWP(InvalidIdentifier):
    """An NPWP broke one of its rules: ``digits``, ``length``, ``serial`` or ``nik``
    (16 digits that are neither ``0`` and an old NPWP nor a valid NIK)."""


class NPWPForm(enum.StrEnum):
    """How the number was issued."""

    OLD = "OLD"  # 15 digits, 01.234.567.8-901.000
    NEW = "NEW"  # 16 digits, 0 and the old 15
    NIK = "NIK"  # a resident individual's NIK


@dataclass(frozen=True, slots=True)
class NPWP:
    """A valid NPWP. Build it with :meth:`parse`; ``str(npwp)`` is the 16-digit form."""

    value: str
    form: NPWPForm

    @classmethod
    def parse(cls, raw: str) -> NPWP:
        """Parse any of the three forms (dots, dashes, spaces allowed) or raise InvalidNPWP."""
        digits = digits_of(raw, InvalidNPWP, "an NPWP")
        if len(digits) == 15:
            _check_old(digits)
            return cls("0" + digits, NPWPForm.OLD)
        if len(digits) != 16:
            raise InvalidNPWP(
                "length",
                f"an NPWP has 15 digits (01.234.567.8-901.000) or 16, this one has {len(digits)}",
            )
        if digits.startswith("0"):
            _check_old(digits[1:])
            return cls(digits, NPWPForm.NEW)
        try:
            NIK.parse(digits)
        except InvalidNIK as exc:
            raise InvalidNPWP(
                "nik", f"16 digits not starting with 0 are an individual's NIK, but {exc}"
            ) from None
        return cls(digits, NPWPForm.NIK)

    def __str__(self) -> str:
        return self.value

    @property
    def nik(self) -> NIK | None:
        """The NIK this NPWP is, for an individual; ``None`` for the other forms."""
        return NIK(self.value) if self.form is NPWPForm.NIK else None

    @property
    def tax_office(self) -> str | None:
        """The three-digit tax office (KPP) code of an old or new number."""
        return None if self.form is NPWPForm.NIK else self.value[10:13]

    @property
    def branch(self) -> str | None:
        """The branch code (``000``: head office) of an old or new number."""
        return None if self.form is NPWPForm.NIK else self.value[13:16]

    def formatted(self) -> str:
        """The printed layout: ``01.234.567.8-901.000`` for old and new numbers; a NIK as is."""
        if self.form is NPWPForm.NIK:
            return self.value
        d = self.value[1:]
        return f"{d[:2]}.{d[2:5]}.{d[5:8]}.{d[8]}-{d[9:12]}.{d[12:]}"


def _check_old(digits: str) -> None:
    if digits[2:8] == "000000":
        raise InvalidNPWP("serial", "an NPWP's serial (digits 3-8) is never 000000")
