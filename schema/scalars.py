"""Custom scalars. ``NIK`` normalises the ways people write one and names a broken rule."""

from __future__ import annotations

from typing import NewType

import strawberry
from graphql import GraphQLError
from strawberry.types.scalar import ScalarDefinition

from identity.nik import NIK as NIKValue
from identity.nik import InvalidNIK


def parse_nik(value: object) -> str:
    if not isinstance(value, str):
        raise GraphQLError(
            "NIK must be a string of 16 digits",
            extensions={"code": "BAD_USER_INPUT", "rule": "type"},
        )
    try:
        return NIKValue.parse(value).value
    except InvalidNIK as exc:
        raise GraphQLError(
            f"invalid NIK: {exc}", extensions={"code": "BAD_USER_INPUT", "rule": exc.rule}
        ) from None


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
