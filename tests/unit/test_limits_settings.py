"""The anti-harvesting settings, ``[limits]`` and ``[redis] url`` (bad ones: test_settings)."""

from __future__ import annotations

from pathlib import Path

from hub.settings import load_settings


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
