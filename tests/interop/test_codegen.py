"""A typed TypeScript client from the checked-in schema: graphql-codegen generates types
for the super-app's operations without errors, and the TypeScript compiler accepts them."""

from __future__ import annotations

import re
from pathlib import Path

from tests.interop.conftest import NodeScripts

ROOT = Path(__file__).parents[2]
# What docs/interop.md promises app teams each custom scalar is in TypeScript.
DOCUMENTED = {
    "NIK": "string",
    "Date": "string",
    "DateTime": "string",
    "Time": "string",
    "Decimal": "string",
    # Apollo Federation's, for a gateway only
    "_Any": "Record<string, unknown>",
    "federation__FieldSet": "string",
    "link__Import": "string | { name: string; as?: string }",
}


async def test_codegen_types_the_super_apps_operations_from_schema_graphql(
    node: NodeScripts, tmp_path: Path
) -> None:
    report = await node.run("codegen.mjs", str(tmp_path))
    assert report["diagnostics"] == []
    for operation in (
        "SuperAppQuery",  # the super-app's main query (hub/static/examples/super-app)
        "WithdrawMutation",
        "BookTicketMutationVariables",
        "SubmitRequestMutationVariables",  # an input holding lists of inputs
        "FollowTicketSubscription",
    ):
        assert operation in report["exported"]
    custom = set(re.findall(r"^scalar (\w+)", text(ROOT / "schema.graphql"), re.M))
    assert custom == set(DOCUMENTED), "a scalar was added or removed: document its TS type"
    for name, ts_type in DOCUMENTED.items():
        assert report["scalars"][name] == {"input": ts_type, "output": ts_type}
    assert "details: Array<DetailInput>" in text(Path(report["file"]))


def text(path: Path) -> str:
    return path.read_text()
