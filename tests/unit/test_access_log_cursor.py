"""The access log's cursor: the hub reads back what it handed out and names what it did not."""

from __future__ import annotations

import pytest

from schema.audit.types import decode_cursor, encode_cursor
from schema.errors import BadUserInput


@pytest.mark.parametrize("seq", [1, 42, 2**62])
def test_a_cursor_names_the_row_it_was_made_from(seq: int) -> None:
    assert decode_cursor(encode_cursor(seq)) == seq


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not-a-cursor",
        "ä",
        encode_cursor(1)[:-2],
        "ZGlzY2xvc3VyZTow",
        "ZGlzY2xvc3VyZTotNQ==",
        encode_cursor(2**63),  # past a bigint: the database would refuse the read
    ],
    # empty, no base64, not ASCII, cut short, seq 0, seq -5, seq 2**63
)
def test_anything_else_is_refused_naming_the_argument(cursor: str) -> None:
    with pytest.raises(BadUserInput, match=r"^before is not a cursor of the access log"):
        decode_cursor(cursor)
