"""Custom scalars. ``NIK`` normalises the ways people write one and names a broken rule."""

from __future__ import annotations

from typing import NewType

import strawberry
from cachetools import TTLCache
from graphql import GraphQLError
from strawberry.types.scalar import ScalarDefinition

from identity.nik import NIK as NIKValue
from identity.nik import InvalidNIK

# NIKs already read, by the exact text given: a caller asking about the same citizens
# again (a hundred per ``citizens(niks:)``) pays a lookup per NIK, not the whole parse
# (separators, region, birth date). Only valid NIKs of at most ``_CACHED_LENGTH``
# characters are kept (separators can pad one without bound), and for an hour at most:
# the parse places a birth date's century relative to today's year.
_READ: TTLCache[str, str] = TTLCache(maxsize=16_384, ttl=3600)
_CACHED_LENGTH = 32


def parse_nik(value: object) -> str:
    if isinstance(value, str):
        known = _READ.get(value)
        if known is not None:
            return known
    else:
        raise GraphQLError(
            "NIK must be a string of 16 digits",
            extensions={"code": "BAD_USER_INPUT", "rule": "type"},
        )
    try:
        digits = NIKValue.parse(value).value
    except InvalidNIK as exc:
        raise GraphQLError(
            f"invalid NIK: {exc}", extensions={"code": "BAD_USER_INPUT", "rule": exc.rule}
        ) from None
    if len(value) <= _CACHED_LENGTH:
        _READ[value] = digits
    return digits


NIK = NewType("NIK", str)

NIK_SCALAR = strawberry.scalar(
    name="NIK",
    description=(
        "Nomor Induk Kependudukan: 16 digits, PP RR DD ddmmyy ssss (province, regency/city,"
        " kecamatan, birth date with 40 added to the day for women, serial). Accepts"
        ' "3671 0112 …" and "3671.0112…" and normalises them.'
    ),
    serialize=str,
    parse_value=parse_nik,
)

# The schema maps the NewType to its scalar definition (StrawberryConfig.scalar_map).
SCALAR_MAP: dict[object, ScalarDefinition] = {NIK: NIK_SCALAR}
