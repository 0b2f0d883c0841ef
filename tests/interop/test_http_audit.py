"""The GraphQL-over-HTTP working group's server audit (npm graphql-http, serverAudits):
every audit passes, MUST, SHOULD and MAY alike, for an anonymous caller and a partner."""

from __future__ import annotations

from typing import Any

import pytest

from tests.interop.conftest import NodeScripts, partner_args


def failures(report: dict[str, Any]) -> list[str]:
    return [
        f"{r['id']} {r['status']}: {r['name']} — {r.get('reason')} "
        f"(HTTP {r.get('httpStatus')}, {r.get('contentType')}: {r.get('body')})"
        for r in report["results"]
        if r["status"] != "ok"
    ]


@pytest.mark.parametrize("who", ["anonymous", "partner"])
async def test_every_graphql_over_http_audit_passes(
    node: NodeScripts, hub_url: str, partner_headers: dict[str, str], who: str
) -> None:
    args = partner_args(partner_headers) if who == "partner" else ()
    report = await node.run("audit.mjs", hub_url, *args)
    problems = failures(report)
    assert not problems, f"{len(problems)} of {report['total']} audits fail:\n" + "\n".join(
        problems
    )
    # The suite really ran: graphql-http 1.23 has 61 audits.
    assert report["ok"] == report["total"] >= 61
