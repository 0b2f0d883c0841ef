"""NIP (Nomor Induk Pegawai): the 18-digit number of a civil servant.

Layout ``yyyymmdd yyyymm s nnn``: birth date; the month the person started as
CPNS (for PPPK, the year of appointment and ``21`` in place of the month); sex
(1 man, 2 woman); a serial. Printed with spaces, "19800101 200501 1 001".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from identity.errors import InvalidIdentifier
from identity.layout import digits_of
from identity.nik import Sex

# PPPK numbers carry this where a PNS's NIP has the CPNS start month.
PPPK_MARK = "21"
# Nobody starts as CPNS or PPPK before this age (the legal minimum is 18).
YOUNGEST_START = 17


class InvalidNIP(InvalidIdentifier):
    """A NIP broke one of its rules: ``digits``, ``length``, ``birth_date``, ``start``,
    ``sex`` or ``serial``."""


@dataclass(frozen=True, slots=True)
class NIP:
    """A valid NIP. Build it with :meth:`parse`; ``str(nip)`` is the 18 digits."""

    value: str

    @classmethod
    def parse(cls, raw: str) -> NIP:
        """Parse ``raw`` (spaces, dots, dashes allowed) or raise :class:`InvalidNIP`."""
        digits = digits_of(raw, InvalidNIP, "a NIP", 18)
        born = _date(digits[0:8])
        if born is None:
            raise InvalidNIP("birth_date", f"digits 1-8 ({digits[0:8]}) are no birth date yyyymmdd")
        year, month = int(digits[8:12]), digits[12:14]
        if month != PPPK_MARK and not 1 <= int(month) <= 12:
            raise InvalidNIP(
                "start",
                f"digits 9-14 ({digits[8:14]}) are the CPNS start yyyymm"
                f" (or the PPPK year and {PPPK_MARK})",
            )
        if year < born.year + YOUNGEST_START:
            raise InvalidNIP(
                "start",
                f"the start ({digits[8:12]}) is before the holder was {YOUNGEST_START}"
                f" (born {born.year})",
            )
        if digits[14] not in "12":
            raise InvalidNIP("sex", f"digit 15 is the sex, 1 or 2, not {digits[14]}")
        if digits[15:18] == "000":
            raise InvalidNIP("serial", "a NIP's serial (last 3 digits) starts at 001")
        return cls(digits)

    def __str__(self) -> str:
        return self.value

    @property
    def birth_date(self) -> date:
        """The encoded birth date."""
        born = _date(self.value[0:8])
        assert born is not None  # checked in parse()
        return born

    @property
    def is_pppk(self) -> bool:
        """Whether this is a PPPK (contract) number rather than a PNS one."""
        return self.value[12:14] == PPPK_MARK

    @property
    def cpns_start(self) -> date | None:
        """The first day of the month the holder started as CPNS; ``None`` for PPPK."""
        if self.is_pppk:
            return None
        return date(int(self.value[8:12]), int(self.value[12:14]), 1)

    @property
    def start_year(self) -> int:
        """The year of the CPNS start or of the PPPK appointment."""
        return int(self.value[8:12])

    @property
    def sex(self) -> Sex:
        """The encoded sex: digit 15, 1 a man, 2 a woman."""
        return "M" if self.value[14] == "1" else "F"

    def printed(self) -> str:
        """As printed on decrees and ID cards: ``19800101 200501 1 001``."""
        v = self.value
        return f"{v[:8]} {v[8:14]} {v[14]} {v[15:]}"


def encode(born: date, start: date, sex: Sex, serial: int, *, pppk: bool = False) -> str:
    """Compose a NIP from its parts (the inverse of :meth:`NIP.parse`)."""
    if not 1 <= serial <= 999:
        raise ValueError("serial runs from 001 to 999")
    started = f"{start.year}{PPPK_MARK}" if pppk else f"{start:%Y%m}"
    return f"{born:%Y%m%d}{started}{1 if sex == 'M' else 2}{serial:03d}"


def _date(yyyymmdd: str) -> date | None:
    try:
        return date(int(yyyymmdd[0:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None
