"""``[server] database_connections``: the connections each database gets from the hub's
read pools, shared by its worker processes (connectors.pools)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors import pools
from hub.settings import SettingsError, load_settings


def test_one_process_has_every_connection_and_workers_share_them() -> None:
    assert pools.per_process(1) == pools.CONNECTIONS == 4
    assert pools.per_process(2) == 2
    assert pools.per_process(16) == pools.MIN_PER_PROCESS  # a worker still overlaps two reads
    assert pools.per_process(3, connections=12) == 4
    assert pools.per_process(2, connections=1) == 1  # one means one, even shared


def test_the_setting_is_read_and_defaults_to_four(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text("[server]\ndatabase_connections = 8\n", encoding="utf-8")
    assert load_settings(path, {}).database_connections == 8
    path.write_text("[server]\n", encoding="utf-8")
    assert load_settings(path, {}).database_connections == pools.CONNECTIONS


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0", "must be from 1 to 64, got 0"),
        ("65", "must be from 1 to 64, got 65"),
        ("2.5", "must be a whole number, got 2.5"),
        ("true", "must be a whole number, got True"),
        ('"4"', "must be a whole number, got '4'"),
    ],
)
def test_a_bad_value_names_the_setting(tmp_path: Path, value: str, problem: str) -> None:
    path = tmp_path / "hub.toml"
    path.write_text(f"[server]\ndatabase_connections = {value}\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=f"server.database_connections: {problem}"):
        load_settings(path, {})
