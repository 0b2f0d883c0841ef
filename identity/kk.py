"""KK (Kartu Keluarga): the 16-digit family card number.

Layout ``PP RR DD ddmmyy ssss``: the region (province, regency/city, kecamatan)
where the card was issued, the issue date, and a serial from 0001.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from identity.errors import InvalidIdentifier
from identity.layout import ddmmyy, digits_of
from identity.regions import region_problem


class InvalidKK(InvalidIdentifier):
    """A family card number broke one of its rules: ``digits``, ``length``, ``region``,
    ``issue_date`` or ``serial``."""


@dataclass(frozen=True, slots=True)
class KK:
    """A valid family card number. Build it with :meth:`parse`; ``str(kk)`` is the 16 digits."""

    value: str

    @classmethod
    def parse(cls, raw: str) -> KK:
        """Parse ``raw`` (spaces, dots, dashes allowed) or raise :class:`InvalidKK`."""
        digits = digits_of(raw, InvalidKK, "a family card number", 16)
        problem = region_problem(digits[0:6])
        if problem is not None:
            raise InvalidKK("region", f"a family card number starts with its region: {problem}")
        if _issued(digits, date.today()) is None:
            raise InvalidKK("issue_date", f"digits 7-12 ({digits[6:12]}) are no issue date ddmmyy")
        if digits[12:16] == "0000":
            raise InvalidKK("serial", "the serial (last 4 digits) starts at 0001")
        return cls(digits)

    def __str__(self) -> str:
        return self.value

    @property
    def region(self) -> str:
        """The six-digit region code where the card was issued."""
        return self.value[:6]

    def issued_on(self, *, today: date | None = None) -> date:
        """The encoded issue date; the two-digit year is placed in the last 100 years."""
        issued = _issued(self.value, today or date.today())
        assert issued is not None  # checked in parse()
        return issued


def _issued(digits: str, today: date) -> date | None:
    return ddmmyy(int(digits[6:8]), int(digits[8:10]), int(digits[10:12]), today)
