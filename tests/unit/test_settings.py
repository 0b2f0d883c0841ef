"""Each bad setting stops the hub with one line naming the setting and the problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from connectors.base import Source
from hub.settings import SettingsError, load_settings, redact


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "citizen-hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_file_and_environment_are_read_with_environment_winning(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[server]\nport = 9000\n[sources]\nsiak = "postgresql://a@h/siak"\n'
        "[limits]\nsource_timeout_ms = 500\n",
    )
    settings = load_settings(path, {"CITIZEN_HUB_PSB_DSN": "postgresql://b@h/psb"})
    assert settings.port == 9000
    assert settings.source_dsns == {
        Source.SIAK: "postgresql://a@h/siak",
        Source.PSB: "postgresql://b@h/psb",
    }
    assert settings.limits.source_timeout_ms == 500
    assert settings.needs_embedded


@pytest.mark.parametrize(
    ("text", "environ", "expected"),
    [
        ("[server\nport=1", {}, "is not valid TOML"),
        ("[server]\nprot = 80\n", {}, "setting server.prot: unknown key"),
        ("[database]\nx = 1\n", {}, "setting database: unknown section"),
        ('[sources]\nsiak = "mysql://x"\n', {}, "setting sources.siak: must be a postgresql://"),
        ("[server]\nport = 70000\n", {}, "setting server.port: must be between 0 and 65535"),
        ('[limits]\nmax_citizens = "many"\n', {}, "setting limits.max_citizens: must be a number"),
        ("", {"CITIZEN_HUB_PORT": "eighty"}, "setting server.port: must be a number"),
        ('[redis]\nurl = "http://x"\n', {}, "setting redis.url: must be a redis://"),
        ("[redis]\nport = 6379\n", {}, "setting redis.port: unknown key"),
        (
            "[limits]\nrequests_per_minute = 0\n",
            {},
            "setting limits.requests_per_minute: must be positive",
        ),
        ("[auth]\nisuer = 1\n", {}, "setting auth.isuer: unknown key"),
        ('[auth]\nsigning_alg = "HS256"\n', {}, "setting auth.signing_alg: must be one of"),
        ("[auth]\nleeway_seconds = -1\n", {}, "setting auth.leeway_seconds: must be 0 to 300"),
        ("[auth]\ntoken_seconds = 0\n", {}, "setting auth.token_seconds: must be positive"),
        (
            '[[auth.issuers]]\nissuer = "x"\njwks_url = "http://sso.example.id/certs"\n',
            {},
            "setting auth.issuers[0].jwks_url: must be an https:// URL",
        ),
        ('[[auth.issuers]]\nissuer = "x"\n', {}, "setting auth.issuers[0].jwks_url: is required"),
        (
            '[[auth.issuers]]\nissuer = "x"\njwks_url = "https://a/j"\nkid = "k"\n',
            {},
            "setting auth.issuers[0].kid: unknown key",
        ),
        (
            '[[auth.issuers]]\nissuer = "urn:citizen-hub"\njwks_url = "https://a/j"\n',
            {},
            "setting auth.issuers: issuer urn:citizen-hub is listed twice",
        ),
        (
            "",
            {"CITIZEN_HUB_KEY_ENCRYPTION_KEY": "too-short"},
            "setting CITIZEN_HUB_KEY_ENCRYPTION_KEY: must be 32 random bytes",
        ),
    ],
)
def test_bad_setting_names_itself(
    tmp_path: Path, text: str, environ: dict[str, str], expected: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(write(tmp_path, text), environ)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_explicit_config_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"CITIZEN_HUB_CONFIG: .* does not exist"):
        load_settings(None, {"CITIZEN_HUB_CONFIG": str(tmp_path / "nope.toml")})


def test_redact_hides_password() -> None:
    assert redact("postgresql://hub:s3cret@db:5432/hub") == "postgresql://hub:***@db:5432/hub"


def test_cli_prints_one_line_for_an_unreachable_dsn(tmp_path: Path) -> None:
    """Port 9 on loopback is closed: the command stops at once and says which setting."""
    dsns = "".join(f'{s.value} = "postgresql://x@127.0.0.1:9/{s.value}"\n' for s in Source)
    path = write(tmp_path, f'[sources]\n{dsns}[hub]\ndsn = "postgresql://x@127.0.0.1:9/hub"\n')
    done = subprocess.run(
        [sys.executable, "-m", "hub", "--config", str(path), "seed", "--citizens", "100"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("citizen-hub: setting sources.siak: cannot connect to")
    assert "connection refused" in lines[0].lower() or "connect" in lines[0]


def test_cli_prints_one_line_for_malformed_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "[server\n")
    done = subprocess.run(
        [sys.executable, "-m", "hub", "--config", str(path), "serve"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "is not valid TOML" in done.stderr
