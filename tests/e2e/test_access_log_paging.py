"""A citizen's access log cannot be flooded: every row is reachable by paging back, and
the summary folds a partner's repeats into one line beside every other agency's.

The attack it answers: a partner asks for a citizen it is already charged for (free
within the hour) a few hundred times, with nothing but ``__typename``, to push an
earlier agency's read of the citizen's religion and address out of the newest rows.
The hub here has a hub database of its own, so no other module's rows are in the log.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from connectors.base import Source
from connectors.seeding import SeedReport
from hub.app import create_app
from hub.keys import AUDIT_SINK
from hub.settings import Settings
from tests.conftest import ScratchDatabases
from tests.e2e.conftest import citizen_headers, grant, own_hub_settings

FLOOD = 201  # one more than the most accessLog shows at once
READER = "qa-agency-read"
FLOODER = "qa-agency-flood"

HISTORY = """
query ($before: String) {
  me { accessHistory(last: 50, before: $before) {
    entries { cursor purpose fields } hasMore nextCursor } }
}
"""
SUMMARY = "{ me { accessSummary { purpose reads firstAt lastAt fields sources } } }"


@pytest.fixture(scope="module")
async def settings(
    test_databases: ScratchDatabases, city_dsns: dict[Source | str, str]
) -> Settings:
    return await own_hub_settings(test_databases, city_dsns, "access_log_paging")


async def ask(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    query: str,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    payload = {"query": query, "variables": variables or {}}
    async with session.post(url, json=payload, headers=headers) as response:
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def test_a_flood_of_repeats_hides_no_earlier_read_from_the_citizen(
    settings: Settings, seed_report: SeedReport
) -> None:
    assert seed_report.city is not None
    nik = seed_report.city.adults()[-1].nik
    reader = await grant(settings, name="qa-reader", purpose=READER)
    flooder = await grant(settings, frozenset({"siak:profile"}), name="qa-flooder", purpose=FLOODER)
    mine = await citizen_headers(settings, nik)
    app = create_app(settings)
    async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession() as session:
        url = str(server.make_url("/graphql"))
        body = await ask(
            session, url, reader, f'{{ citizen(nik: "{nik}") {{ religion address {{ street }} }} }}'
        )
        assert body["data"]["citizen"]["religion"], body
        for _ in range(FLOOD):
            body = await ask(session, url, flooder, f'{{ citizen(nik: "{nik}") {{ __typename }} }}')
            assert "errors" not in body, body

        # The newest rows alone are the flooder's: the flood works on that view.
        body = await ask(session, url, mine, "{ me { accessLog(last: 200) { purpose } } }")
        newest = body["data"]["me"]["accessLog"]
        assert len(newest) == 200 and {e["purpose"] for e in newest} == {FLOODER}

        # Paging back reaches every row, the agency's read among them.
        rows: list[dict[str, Any]] = []
        before, pages = None, 0
        while True:
            body = await ask(session, url, mine, HISTORY, {"before": before})
            history = body["data"]["me"]["accessHistory"]
            rows += history["entries"]
            pages += 1
            if not history["hasMore"]:
                assert history["nextCursor"] is None
                break
            before = history["nextCursor"]
            assert before == history["entries"][-1]["cursor"]
        read = [r for r in rows if r["purpose"] == READER]
        assert len(read) == 1 and {"religion", "address"} <= set(read[0]["fields"]), read
        assert len([r for r in rows if r["purpose"] == FLOODER]) == FLOOD
        assert len({r["cursor"] for r in rows}) == len(rows)  # no row twice across pages
        assert pages == -(-len(rows) // 50)

        # The same cursor works on the plain list.
        body = await ask(
            session,
            url,
            mine,
            "query ($b: String) { me { accessLog(last: 5, before: $b) { purpose } } }",
            {"b": newest_cursor_before(rows, READER)},
        )
        assert body["data"]["me"]["accessLog"][0]["purpose"] == READER, body

        # The summary: one line for the flood beside the agency's one read.
        log = app[AUDIT_SINK].log
        reads_before, writes_before = log.statements, log.writer.statements
        body = await ask(session, url, mine, SUMMARY)
        reads = (log.statements - reads_before) - (log.writer.statements - writes_before)
    lines = {line["purpose"]: line for line in body["data"]["me"]["accessSummary"]}
    assert lines[FLOODER]["reads"] == FLOOD
    assert lines[FLOODER]["firstAt"] < lines[FLOODER]["lastAt"]
    assert lines[READER]["reads"] == 1
    assert {"religion", "address"} <= set(lines[READER]["fields"])
    assert lines[READER]["sources"] == ["SIAK"]
    assert len(lines) <= 3, lines  # the two partners, and the citizen's own reads
    assert reads == 1, f"{reads} statements read the log for one summary"


def newest_cursor_before(rows: list[dict[str, Any]], purpose: str) -> str:
    """The cursor of the row just newer than the first row of ``purpose``."""
    at = next(i for i, r in enumerate(rows) if r["purpose"] == purpose)
    cursor: str = rows[at - 1]["cursor"]
    return cursor


async def test_a_page_and_the_summary_are_one_statement_and_bad_cursors_are_named(
    settings: Settings, seed_report: SeedReport
) -> None:
    assert seed_report.city is not None
    nik = seed_report.city.adults()[-2].nik
    mine = await citizen_headers(settings, nik)
    app = create_app(settings)
    async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession() as session:
        url = str(server.make_url("/graphql"))
        for _ in range(3):
            await ask(session, url, mine, "{ me { fullName } }")
        log = app[AUDIT_SINK].log
        reads_before, writes_before = log.statements, log.writer.statements
        body = await ask(
            session,
            url,
            mine,
            "{ me { accessLog(last: 1) { purpose } accessHistory(last: 2) { hasMore"
            " entries { cursor } } accessSummary { reads } } }",
        )
        reads = (log.statements - reads_before) - (log.writer.statements - writes_before)
        assert reads == 1, f"{reads} statements for one page and the summary"
        me = body["data"]["me"]
        assert len(me["accessLog"]) == 1 and len(me["accessHistory"]["entries"]) == 2
        assert me["accessHistory"]["hasMore"] is True
        assert sum(line["reads"] for line in me["accessSummary"]) == 3

        for bad in ("not-a-cursor", "ZGlzY2xvc3VyZTphYmM=", ""):
            body = await ask(
                session,
                url,
                mine,
                "query ($b: String) { me { accessHistory(before: $b) { hasMore } } }",
                {"b": bad},
            )
            (error,) = body["errors"]
            assert "before is not a cursor of the access log" in error["message"], body
            assert body["data"]["me"]["accessHistory"] is None

        cursor = me["accessHistory"]["entries"][0]["cursor"]
        body = await ask(
            session,
            url,
            mine,
            "query ($b: String) { me { accessLog(before: $b) { purpose }"
            " accessHistory { hasMore } } }",
            {"b": cursor},
        )
        assert "give them the same `before`" in body["errors"][0]["message"], body

        # A page size out of range is refused on its own field, never cut to fit: an
        # empty page beside hasMore, or 200 rows for 10,000, would misread the log.
        for last in (0, -5, 201):
            body = await ask(
                session,
                url,
                mine,
                "query ($n: Int!) { me { accessLog(last: 2) { purpose }"
                " accessHistory(last: $n) { hasMore nextCursor } } }",
                {"n": last},
            )
            (error,) = body["errors"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT", body
            assert "last must be between 1 and 200" in error["message"], body
            assert error["path"] == ["me", "accessHistory"], body
            assert len(body["data"]["me"]["accessLog"]) == 2

        # A refused page shows nothing of the log: it is not recorded as shown.
        body = await ask(session, url, mine, "{ me { fullName accessLog(last: 0) { purpose } } }")
        assert body["data"]["me"]["accessLog"] is None
        [latest] = (await log.access_log([nik], 1))[nik]
        assert latest.fields == ("fullName",), latest.fields
