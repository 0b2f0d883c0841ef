"""What the numeric identifiers share: the separators people type, and the ``ddmmyy`` dates.

Each value type (NIK, KK, NIP, NISN, NPWP) starts its parse with :func:`digits_of`,
so all accept the same separators and refuse the same characters, ASCII digits only
(``str.isdigit`` would let ``٣`` and ``３`` through, which no database column holds).
"""

from __future__ import annotations

import re
from datetime import date

from identity.errors import InvalidIdentifier

# What people and legacy rows put between the digits.
_SEPARATORS = re.compile(r"[\s.\-]")
_DIGITS = re.compile(r"[0-9]+")


def normalise_digits(raw: str) -> str:
    """Strip the separators legacy rows and people write (spaces, dots, dashes)."""
    return _SEPARATORS.sub("", raw)


def only_digits(text: str) -> bool:
    """Whether ``text`` is one or more ASCII digits."""
    return _DIGITS.fullmatch(text) is not None


def digits_of(
    raw: str, error: type[InvalidIdentifier], noun: str, length: int | None = None
) -> str:
    """``raw`` without separators, or ``error`` with rule ``digits`` or ``length``.

    ``noun`` names the identifier in the message ("a NIK"); ``length``: the number
    of digits it must have, if only one is right.
    """
    digits = normalise_digits(raw)
    if not only_digits(digits):
        raise error("digits", f"{noun} holds only digits, with spaces, dots or dashes between them")
    if length is not None and len(digits) != length:
        raise error("length", f"{noun} has {length} digits, this one has {len(digits)}")
    return digits


def mask_long_numbers(text: str, shortest: int) -> str:
    """``text`` with each run of ``shortest`` digits or more (a NIK, a NIP, a phone in a
    record key: personal) showing its first four and last three digits only."""
    return re.sub(
        rf"\d{{{shortest},}}", lambda m: m[0][:4] + "*" * (len(m[0]) - 7) + m[0][-3:], text
    )


def ddmmyy(day: int, month: int, year2: int, today: date) -> date | None:
    """The date, its two-digit year placed in the 100 years up to ``today``; ``None`` if none."""
    year = 2000 + year2
    if year > today.year:
        year -= 100
    try:
        return date(year, month, day)
    except ValueError:
        return None
