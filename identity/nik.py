"""NIK (Nomor Induk Kependudukan): the 16-digit population number.

Layout ``PP RR DD ddmmyy ssss``: province, regency/city and kecamatan where the
person was first registered; birth date with 40 added to the day for women; a
serial from 0001. The region never changes when a person moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from identity.errors import InvalidIdentifier
from identity.layout import ddmmyy, digits_of
from identity.regions import region_problem

Sex = Literal["M", "F"]


class InvalidNIK(InvalidIdentifier):
    """A NIK broke one of its rules; ``rule`` names which one."""


@dataclass(frozen=True, slots=True)
class NIK:
    """A valid NIK. Build it with :meth:`parse`; ``str(nik)`` is the 16 digits."""

    value: str

    @classmethod
    def parse(cls, raw: str) -> NIK:
        """Parse ``raw`` (separators allowed) or raise :class:`InvalidNIK` naming the rule."""
        digits = digits_of(raw, InvalidNIK, "a NIK", 16)
        problem = region_problem(digits[0:6])
        if problem is not None:
            raise InvalidNIK("region", f"a NIK starts with its region: {problem}")
        if encoded_birth_date(digits, date.today()) is None:
            raise InvalidNIK(
                "birth_date",
                f"digits 7-12 ({digits[6:12]}) are no birth date, even with 40 added for women",
            )
        if digits[12:16] == "0000":
            raise InvalidNIK("serial", "a NIK's serial (last 4 digits) starts at 0001")
        return cls(digits)

    def __str__(self) -> str:
        return self.value

    @property
    def region(self) -> str:
        """The six-digit province, regency/city and kecamatan code."""
        return self.value[:6]

    @property
    def regency(self) -> str:
        """The four-digit province and regency/city code (3671 is Kota Tangerang)."""
        return self.value[:4]

    @property
    def sex(self) -> Sex:
        return "F" if int(self.value[6:8]) > 40 else "M"

    def birth_date(self, *, today: date | None = None) -> date:
        """The encoded birth date; a two-digit year is placed in the last 100 years."""
        born = encoded_birth_date(self.value, today or date.today())
        assert born is not None  # checked in parse()
        return born

    def encodes_birth_date(self, born: date) -> bool:
        """Whether digits 7-12 encode ``born``: day, month and year within the century.

        The century is not encoded, so this compares what the NIK does hold.
        """
        day, month, year2 = int(self.value[6:8]), int(self.value[8:10]), int(self.value[10:12])
        if day > 40:
            day -= 40
        return (day, month, year2) == (born.day, born.month, born.year % 100)

    def masked(self) -> str:
        """``3671************``: only the province and regency/city are kept.

        Every other digit can be rebuilt from what the same answer may show beside
        a masked NIK (the kecamatan from the address, the birth date and sex, and
        a serial that is often 0001), so none of them is shown.
        """
        return f"{self.value[:4]}{'*' * 12}"


def encoded_birth_date(digits: str, today: date) -> date | None:
    """The birth date digits 7-12 of a NIK's ``digits`` hold (40 added to the day for
    women), its year placed in the 100 years up to ``today``; ``None`` if none."""
    day, month, year2 = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    return ddmmyy(day - 40 if day > 40 else day, month, year2, today)


def encode(region: str, birth: date, sex: Sex, serial: int) -> str:
    """Compose a NIK from its parts (the inverse of :meth:`NIK.parse`)."""
    if len(region) != 6 or not region.isdigit():
        raise ValueError("region must be six digits: province, regency/city, kecamatan")
    if not 1 <= serial <= 9999:
        raise ValueError("serial runs from 0001 to 9999")
    day = birth.day + (40 if sex == "F" else 0)
    return f"{region}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"
