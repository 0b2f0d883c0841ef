"""``citizen-hub identity review`` in the shell: ``list`` masks every NIK (it is for finding a
record); ``show`` prints the record's candidates' NIKs in full for the steward to choose
between people, each first written to the disclosure log and its chain checkpointed, as
the graph's identityReviewItem does (issue 15)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from connectors.base import Source
from hub.cli import main
from hub.identity.review_cli import PURPOSE, SHOWN
from tests.e2e.identity_support import fetch

# A record with two candidates in doubt: what the steward chooses between.
_CASE = """
SELECT min(encode(link_key, 'hex')) AS id, array_agg(DISTINCT nik) AS niks
  FROM identity_links WHERE status <> 'CERTAIN'
 GROUP BY system, record HAVING count(DISTINCT nik) >= 2
 ORDER BY 1 LIMIT 1
"""
_LOGGED = """
SELECT nik, sources, fields, purpose FROM disclosures WHERE subject = $1 ORDER BY nik
"""


@pytest.fixture
def configured(
    city_dsns: dict[Source | str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    hub_url: str,
) -> Path:
    """The command pointed at the test city through the environment (whose hub, started,
    made its signing key); its checkpoint file."""
    monkeypatch.delenv("CITIZEN_HUB_CONFIG", raising=False)
    for source in Source:
        monkeypatch.setenv(f"CITIZEN_HUB_{source.name}_DSN", city_dsns[source])
    monkeypatch.setenv("CITIZEN_HUB_HUB_DSN", city_dsns["hub"])
    checkpoints = tmp_path / "checkpoints.jsonl"
    monkeypatch.setenv("CITIZEN_HUB_AUDIT_CHECKPOINT_FILE", str(checkpoints))
    return checkpoints


def _fetch(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    return asyncio.run(fetch(dsn, sql, *args))  # the command runs its own event loop


def test_show_prints_the_candidates_niks_once_logged_and_list_masks_them(
    configured: Path,
    city_dsns: dict[Source | str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    (case,) = _fetch(city_dsns["hub"], _CASE)
    niks = sorted(case["niks"])
    assert main(["identity", "review", "list", "--limit", "500"]) == 0
    listed = capsys.readouterr().out
    assert case["id"][:12] in listed and not any(nik in listed for nik in niks)
    steward = f"qa-{case['id'][:8]}"
    assert main(["identity", "review", "show", case["id"], "--by", steward]) == 0
    shown = capsys.readouterr().out
    assert all(nik in shown for nik in niks)
    logged = _fetch(city_dsns["hub"], _LOGGED, f"cli:{steward}")
    assert [r["nik"] for r in logged] == niks
    assert all(r["fields"] == [SHOWN] and r["purpose"] == PURPOSE for r in logged)
    assert configured.read_text().count("\n") == 1  # the chain's head, signed


@pytest.mark.parametrize("by", ["qa\nFAKE steward", "", " qa", "x" * 65])
def test_a_stewards_name_that_would_fake_a_log_line_is_refused(
    configured: Path,
    city_dsns: dict[Source | str, str],
    capsys: pytest.CaptureFixture[str],
    by: str,
) -> None:
    (case,) = _fetch(city_dsns["hub"], _CASE)
    assert main(["identity", "review", "show", case["id"], "--by", by]) == 2
    out = capsys.readouterr()
    assert "--by must be a name" in out.err and not out.out
    assert not _fetch(city_dsns["hub"], _LOGGED, f"cli:{by}")


def test_list_for_one_citizen_shows_their_certain_matches_once_logged(
    configured: Path,
    city_dsns: dict[Source | str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Asked for one citizen, the list also holds the walk-ins matched to them as certain
    (for the steward to confirm or take back); the NIK asked is logged, found or not."""
    (match,) = _fetch(
        city_dsns["hub"],
        "SELECT encode(link_key, 'hex') AS id, nik FROM identity_links"
        " WHERE status = 'CERTAIN' AND method = 'MATCHED' ORDER BY record LIMIT 1",
    )
    steward = f"qa-{match['id'][:8]}"
    assert main(["identity", "review", "list", "--nik", match["nik"], "--by", steward]) == 0
    assert match["id"][:12] in capsys.readouterr().out
    assert [r["nik"] for r in _fetch(city_dsns["hub"], _LOGGED, f"cli:{steward}")] == [match["nik"]]
    assert main(["identity", "review", "list", "--limit", "500"]) == 0
    assert match["id"][:12] not in capsys.readouterr().out  # the queue: links in doubt
    assert main(["identity", "review", "list", "--nik", "1234"]) == 2
    assert "--nik:" in capsys.readouterr().err
