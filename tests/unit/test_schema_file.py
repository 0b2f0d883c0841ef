"""schema.graphql is the SDL the code serves; ``schema diff`` names what would break clients."""

from __future__ import annotations

import argparse
import difflib
import io
from pathlib import Path

import pytest

from hub.schema_file import (
    SCHEMA_FILE,
    add_schema_parsers,
    format_scopes,
    run_schema,
    schema_changes,
    schema_sdl,
    scope_rows,
)

ROOT = Path(__file__).parents[2]
REGENERATE = ".venv/bin/citizen-hub schema print --output schema.graphql"

OLD = """
type Query {
  citizen(nik: String!): Citizen
  me: Citizen
}

type Citizen {
  nik: String!
  fullName: String
  sex: Sex
}

enum Sex { MALE FEMALE }
"""


def test_the_checked_in_schema_is_the_one_the_code_serves() -> None:
    checked_in = (ROOT / SCHEMA_FILE).read_text(encoding="utf-8")
    served = schema_sdl()
    if checked_in != served:
        diff = "".join(
            list(
                difflib.unified_diff(
                    checked_in.splitlines(keepends=True),
                    served.splitlines(keepends=True),
                    "schema.graphql",
                    "the code's schema",
                    n=1,
                )
            )[:40]
        )
        pytest.fail(
            f"schema.graphql differs from the schema the code serves; regenerate it with\n"
            f"    {REGENERATE}\n"
            f"and review the change (citizen-hub schema diff OLD schema.graphql).\n{diff}",
            pytrace=False,
        )


def test_removing_a_field_is_breaking_and_adding_an_enum_value_is_dangerous() -> None:
    new = OLD.replace("  me: Citizen\n", "").replace("MALE FEMALE", "MALE FEMALE OTHER")
    new = new.replace("fullName: String", "fullName: String\n  phone: String")
    changes = schema_changes(OLD, new)
    assert [(c.breaking, c.kind) for c in changes] == [
        (True, "FIELD_REMOVED"),
        (False, "VALUE_ADDED_TO_ENUM"),
    ]
    assert "Query.me was removed" in changes[0].description
    assert str(changes[0]).startswith("BREAKING ")
    assert schema_changes(OLD, OLD) == []


def run(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="citizen-hub")
    add_schema_parsers(parser.add_subparsers(dest="command", required=True))
    out = io.StringIO()
    status = run_schema(parser.parse_args(argv), out)
    return status, out.getvalue()


def test_schema_diff_exits_1_on_breaking_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = tmp_path / "old.graphql", tmp_path / "new.graphql"
    old.write_text(OLD)
    new.write_text(OLD.replace("  sex: Sex\n", ""))
    status, out = run("schema", "diff", str(old), str(new))
    assert status == 1
    assert "BREAKING   FIELD_REMOVED: Field Citizen.sex was removed." in out
    assert out.splitlines()[-1].startswith("1 breaking, 0 dangerous change(s)")
    assert run("schema", "diff", str(old), str(old)) == (
        0,
        f"no breaking or dangerous changes from {old} to {old}\n",
    )
    status, _ = run("schema", "diff", str(tmp_path / "missing.graphql"), str(new))
    assert status == 2
    assert capsys.readouterr().err == (
        f"citizen-hub: schema diff: {tmp_path / 'missing.graphql'} does not exist\n"
    )


def test_schema_print_writes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    assert run("schema", "print", "--output", str(target)) == (0, "")
    assert target.read_text(encoding="utf-8") == schema_sdl()
    assert "type Query {" in schema_sdl()


def test_the_scope_table_lists_every_scope_with_its_product_and_fields() -> None:
    from hub.auth.scopes import SCOPES

    rows = {scope: (product, fields) for scope, product, fields in scope_rows()}
    assert set(rows) == set(SCOPES)
    assert rows["psb:read"] == ("PSB", "Citizen.schoolAdmissions")
    assert rows["siak:family"][1].split() == ["Query.family", "Citizen.family"]
    assert rows["audit:read"][1].split() == [
        "Citizen.accessLog",
        "Citizen.accessHistory",
        "Citizen.accessSummary",
    ]
    text = format_scopes(scope_rows())
    assert text.splitlines()[0].split() == ["scope", "product", "fields"]
    markdown = format_scopes(scope_rows(), markdown=True).splitlines()
    assert markdown[:2] == ["| scope | product | fields |", "|---|---|---|"]
    assert "| `psb:read` | PSB | `Citizen.schoolAdmissions` |" in markdown


def test_a_scope_no_field_needs_says_so() -> None:
    rows = scope_rows({("Citizen", "fullName"): "siak:profile"})
    assert ("psb:read", "PSB", "(no field yet)") in rows


def test_the_partners_scope_table_is_the_codes() -> None:
    """docs/partners.md shows the table ``citizen-hub scopes --markdown`` prints."""
    page = (ROOT / "docs" / "partners.md").read_text(encoding="utf-8")
    table = format_scopes(scope_rows(), markdown=True)
    assert table in page, (
        "docs/partners.md's scope table differs from the code's (schema/scopes.py"
        " FIELD_SCOPES); paste the output of: .venv/bin/citizen-hub scopes --markdown"
    )
