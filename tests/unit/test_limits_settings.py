"""The anti-harvesting settings: ``[limits]`` budgets and ``[redis] url``."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.settings import SettingsError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "citizen-hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_keep_limits_in_the_process(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""), {})
    assert settings.redis_url is None
    assert settings.limits.requests_per_minute == 600
    assert settings.limits.distinct_niks_per_hour == 1000


def test_limits_and_redis_from_file_and_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[limits]\nrequests_per_minute = 30\ndistinct_niks_per_hour = 200\n"
        '[redis]\nurl = "redis://file:6379/0"\n',
    )
    settings = load_settings(path, {})
    assert (settings.limits.requests_per_minute, settings.limits.distinct_niks_per_hour) == (
        30,
        200,
    )
    assert settings.redis_url == "redis://file:6379/0"
    env = {"CITIZEN_HUB_REDIS_URL": "rediss://env:6380/1"}
    assert load_settings(path, env).redis_url == "rediss://env:6380/1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[redis]\nurl = "http://x"\n', "setting redis.url: must be a redis://"),
        ("[redis]\nport = 6379\n", "setting redis.port: unknown key"),
        (
            "[limits]\nrequests_per_minute = 0\n",
            "setting limits.requests_per_minute: must be positive",
        ),
    ],
)
def test_bad_limit_setting_names_itself(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(SettingsError, match=expected):
        load_settings(write(tmp_path, text), {})
