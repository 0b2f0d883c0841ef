"""The schema as an Apollo Federation v2 subgraph: what a gateway and the file's tools read."""

from __future__ import annotations

from pathlib import Path

from graphql import build_schema as build_sdl

from hub.schema_file import SCHEMA_FILE, schema_changes, schema_sdl
from schema.build import build_schema

ROOT = Path(__file__).parents[2]


def test_citizen_is_the_one_entity_keyed_by_nik() -> None:
    served = str(build_schema())
    assert 'schema @link(url: "https://specs.apollo.dev/federation/v2.0", import: ["@key"])' in (
        served
    )
    assert 'type Citizen @key(fields: "nik")' in served
    assert served.count("@key(") == 1
    assert "union _Entity = Citizen\n" in served


def test_the_file_stands_alone_and_schema_diff_reads_it() -> None:
    text = (ROOT / SCHEMA_FILE).read_text(encoding="utf-8")
    schema = build_sdl(text)  # fails on a directive applied but not defined
    assert schema.get_directive("key") is not None
    assert schema_changes(text, schema_sdl()) == []
