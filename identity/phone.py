"""Indonesian mobile phone numbers, held in the canonical national form ``08…``.

People and legacy rows write the same number many ways: ``081234567890``,
``6281234567890``, ``+62 812-3456-7890``, ``0812.3456.7890``, without the
trunk 0 (``81234567890``), with the area code in brackets (``(0812) 3456-7890``)
or the trunk 0 kept after the country code (``+62 0812…``, ``+62 (0)812…``).
:meth:`Phone.parse` accepts them all and names the rule a number breaks;
:func:`canonical_phone` is its lenient twin for reading legacy rows, where a
number that does not parse is simply absent.

The common forms are read by hand, because the crosswalk parses millions of
phones per sync and this is several times faster than a general parser; what
they do not cover is handed to ``phonenumbers`` (Google's libphonenumber), which
knows every way a number is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from identity.errors import InvalidIdentifier
from identity.layout import normalise_digits, only_digits

COUNTRY_CODE = "62"
# The national form, trunk 0 included; the bounds of the lookups that came before.
MIN_LENGTH, MAX_LENGTH = 9, 14


class InvalidPhone(InvalidIdentifier):
    """A phone number broke one of its rules; ``rule`` names which one.

    Rules: ``digits`` (only digits, spaces, dots, dashes and a leading ``+``),
    ``country`` (an international number must be Indonesian, ``+62``), ``length``
    (9 to 14 digits in the ``08…`` form), ``prefix`` (a mobile number starts ``08``).
    """


@dataclass(frozen=True, slots=True)
class Phone:
    """A valid mobile number. Build it with :meth:`parse`; ``str(phone)`` is the ``08…`` digits."""

    value: str

    @classmethod
    def parse(cls, raw: str) -> Phone:
        """Parse ``raw`` in any of the forms people write or raise :class:`InvalidPhone`."""
        try:
            return cls._parse_common(raw)
        except InvalidPhone:
            written = _written_otherwise(raw)
            if written is None:
                raise
            return cls(written)

    @classmethod
    def _parse_common(cls, raw: str) -> Phone:
        text = raw.strip()
        international = text.startswith("+")
        digits = normalise_digits(text[1:] if international else text)
        if not only_digits(digits):
            raise InvalidPhone(
                "digits",
                "a phone holds only digits, with spaces, dots or dashes between them"
                " and an optional leading +",
            )
        if international and not digits.startswith(COUNTRY_CODE):
            raise InvalidPhone(
                "country", f"only Indonesian numbers (+62) are accepted, not +{digits[:3]}…"
            )
        if digits.startswith(COUNTRY_CODE):
            national = "0" + digits[len(COUNTRY_CODE) :]
        elif digits.startswith("8"):
            national = "0" + digits  # the trunk 0 left off
        else:
            national = digits
        if not MIN_LENGTH <= len(national) <= MAX_LENGTH:
            raise InvalidPhone(
                "length",
                f"a phone has {MIN_LENGTH} to {MAX_LENGTH} digits in the 08… form,"
                f" this one has {len(national)}",
            )
        if not national.startswith("08"):
            raise InvalidPhone(
                "prefix", "a mobile number starts 08 (or 628, +62 8); landlines are not accepted"
            )
        return cls(national)

    def __str__(self) -> str:
        return self.value

    def masked(self) -> str:
        """``0812****7890``: operator prefix and last four kept, the rest hidden."""
        return f"{self.value[:4]}{'*' * (len(self.value) - 8)}{self.value[-4:]}"


# The less common forms the general parser is asked about: the leading group in
# brackets, or the trunk 0 kept after the country code (``+62 0812``, ``+62 (0)812``).
# Anything else (a stray bracket, a letter) keeps the rule the common reading broke.
_OTHER_FORMS = re.compile(
    r"(?:\+?62[ .\-]*)?\(0?8\d{1,3}\)[ .\-]*\d[0-9 .\-]*"
    r"|\+?62[ .\-]*(?:\(0\)|0)[ .\-]*8[0-9 .\-]*"
)


def _written_otherwise(raw: str) -> str | None:
    """The ``08…`` form of an Indonesian mobile number written in a less common way
    (brackets, ``+62 0…``), or ``None``: the general parser's second opinion."""
    text = raw.strip()
    if not _OTHER_FORMS.fullmatch(text):
        return None
    try:
        number = phonenumbers.parse(text, "ID")
    except phonenumbers.NumberParseException:
        return None
    national = f"0{number.national_number}"
    if number.country_code != int(COUNTRY_CODE) or not national.startswith("08"):
        return None
    if not MIN_LENGTH <= len(national) <= MAX_LENGTH:
        return None
    return national


def canonical_phone(raw: str | None) -> str | None:
    """The ``08…`` digits of a phone as a legacy row holds it; ``None`` if it does not parse."""
    if raw is None:
        return None
    try:
        return str(Phone.parse(raw))
    except InvalidPhone:
        return None
