"""The deliberate mess seeders put into legacy rows: NIKs with separators, phones as typed.

Every product's seeder dirties a share of its NIK and phone columns the way that
product's operators typed them, and counts each dirty row so tests can find them
all. :class:`LegacyMess` does both from the seeder's own random stream; each call
draws from it exactly as the seeders always have, so a seed still yields the
same rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random

# Rewrites a canonical 08… phone the way some operator typed it.
PhoneStyle = Callable[[str], str]


def international(phone: str) -> str:
    """``6281234567890``: the country code in place of the leading 0."""
    return "62" + phone[1:]


def international_dashed(phone: str) -> str:
    """``+62 812-3456-7890``: as printed on business cards."""
    rest = phone[1:]
    return f"+62 {rest[:3]}-{rest[3:7]}-{rest[7:]}"


def local_dashed(phone: str) -> str:
    """``0812-3456-7890``: the national form with dashes."""
    return f"{phone[:4]}-{phone[4:8]}-{phone[8:]}"


# The order is part of the random stream: a seeder draws an index into its styles.
EVERY_PHONE_STYLE: tuple[PhoneStyle, ...] = (international, international_dashed, local_dashed)
# CPNS and SIKDa rows hold only the 62 forms, never the dashed national 0812-….
ONLY_62: tuple[PhoneStyle, ...] = (international, international_dashed)


class LegacyMess:
    """Dirties NIKs and phones on a share of rows and counts what it dirtied.

    ``nik_share`` and ``phone_share`` are the shares of rows written the legacy
    way; ``phone_styles`` are the forms that product's operators typed phones in.
    """

    def __init__(
        self,
        rng: random.Random,
        *,
        nik_share: float,
        phone_share: float,
        phone_styles: tuple[PhoneStyle, ...] = EVERY_PHONE_STYLE,
    ) -> None:
        self.rng = rng
        self.nik_share = nik_share
        self.phone_share = phone_share
        self.phone_styles = phone_styles
        self.nik_with_separators = 0
        self.phone_reformatted = 0

    def nik(self, nik: str) -> str:
        """``nik`` as stored: on ``nik_share`` of the rows, with separators."""
        if self.rng.random() >= self.nik_share:
            return nik
        return self.separated(nik)

    def separated(self, nik: str) -> str:
        """``3671 0112 8501 0003`` or ``3671.0112.8501.0003``, counted; no share drawn."""
        self.nik_with_separators += 1
        sep = self.rng.choice((" ", "."))
        return sep.join((nik[:4], nik[4:8], nik[8:12], nik[12:]))

    def phone(self, phone: str | None) -> str | None:
        """``phone`` as stored: on ``phone_share`` of the rows, in one of the legacy styles."""
        if phone is None or self.rng.random() >= self.phone_share:
            return phone
        self.phone_reformatted += 1
        return self.rng.choice(self.phone_styles)(phone)


_PLAIN_PHONE = re.compile(r"08\d+")


def stored_plain(phone: str | None) -> bool:
    """Whether a stored phone is in the canonical 08… form, not one :meth:`LegacyMess.phone`
    reformatted: only such rows may be given another phone later, or the
    ``phone_reformatted`` count would no longer match the rows."""
    return phone is not None and _PLAIN_PHONE.fullmatch(phone) is not None


# Deliberate identity conflicts (a NIK or NIP that disagrees with the register, a name
# that is not the NIK holder's, a phone two people give): one of each kind per this
# many citizens, and at least two, so even the small test city holds every kind.
CITIZENS_PER_CONFLICT = 5_000


def conflict_count(citizens: int) -> int:
    """How many of each kind of deliberate identity conflict a city of ``citizens`` holds."""
    return max(2, round(citizens / CITIZENS_PER_CONFLICT))
