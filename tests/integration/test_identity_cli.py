"""``citizen-hub identity sync|report`` on the test city: what it prints, and one line on errors."""

from __future__ import annotations

import re

import pytest

from connectors.base import Source
from hub.cli import main


@pytest.fixture
def configured(city_dsns: dict[Source | str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The command pointed at the test city through the environment, as an operator would."""
    monkeypatch.delenv("CITIZEN_HUB_CONFIG", raising=False)
    for source in Source:
        monkeypatch.setenv(f"CITIZEN_HUB_{source.name}_DSN", city_dsns[source])
    monkeypatch.setenv("CITIZEN_HUB_HUB_DSN", city_dsns["hub"])


@pytest.mark.usefixtures("configured")
def test_sync_of_an_unchanged_city_touches_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["identity", "sync"]) == 0
    out = capsys.readouterr().out
    assert "identity sync done in" in out
    # Anchored on "now;": a bare "0 inserted" is also in "360 inserted".
    assert re.search(r"links: \d+ now; 0 inserted, 0 updated, 0 removed", out), out
    assert re.search(r"findings: \d+ now; 0 inserted, 0 updated, 0 removed", out), out


@pytest.mark.usefixtures("configured")
def test_report_prints_counts_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["identity", "report", "--examples", "1"]) == 0
    out = capsys.readouterr().out
    assert "links" in out and "conflicts" in out and "records that link to no one" in out
    assert out.count("e.g.") >= 8  # one example for each rule found


@pytest.mark.usefixtures("configured")
def test_a_bad_option_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["identity", "report", "--examples", "-1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("citizen-hub: ")


@pytest.mark.usefixtures("configured")
def test_an_unreachable_hub_database_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITIZEN_HUB_HUB_DSN", "postgresql://nobody@127.0.0.1:9/hub")
    assert main(["identity", "sync"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "hub.dsn" in err and "Traceback" not in err


@pytest.mark.usefixtures("configured")
def test_evaluate_measures_the_test_city_against_its_truth(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The test city has only the seeders' own mess: every link served is right.
    assert main(["identity", "evaluate", "--no-floors"]) == 0
    out = capsys.readouterr().out
    assert "precision:" in out and "recall:" in out
    assert "wrong links served as certain: 0" in out
