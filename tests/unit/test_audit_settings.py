"""The [audit] settings and the key-encryption key from the file (issue 9)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from hub.audit.checkpoint import checkpoint_path
from hub.auth.keys import require_key_encryption_key
from hub.demo import key_storage_note
from hub.settings import AuditSettings, Settings, SettingsError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "citizen-hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_audit_defaults_checkpoint_into_the_data_folder(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[server]\ndata_dir = "/srv/hub"\n'), {})
    assert settings.audit == AuditSettings()
    assert settings.audit.checkpoint_seconds == 300.0
    assert checkpoint_path(settings) == Path("/srv/hub/audit-checkpoints.jsonl")


def test_audit_section_and_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[audit]\ndsn = "postgresql://citizen_hub_app:pw@db/hub"\n'
        'checkpoint_file = "/mnt/worm/hub.jsonl"\ncheckpoint_seconds = 60\n',
    )
    audit = load_settings(path, {}).audit
    assert audit.dsn == "postgresql://citizen_hub_app:pw@db/hub"
    assert audit.checkpoint_file == Path("/mnt/worm/hub.jsonl")
    assert audit.checkpoint_seconds == 60.0
    assert "pw" not in repr(audit)
    env = {
        "CITIZEN_HUB_AUDIT_DSN": "postgresql://citizen_hub_app@other/hub",
        "CITIZEN_HUB_AUDIT_CHECKPOINT_FILE": "/var/log/hub.jsonl",
    }
    audit = load_settings(path, env).audit
    assert audit.dsn == "postgresql://citizen_hub_app@other/hub"
    assert checkpoint_path(Settings(audit=audit)) == Path("/var/log/hub.jsonl")


@pytest.mark.parametrize(
    ("text", "setting"),
    [
        ('[audit]\ndsn = "mysql://x@y/z"\n', "audit.dsn"),
        ("[audit]\ncheckpoint_seconds = 0\n", "audit.checkpoint_seconds"),
        ('[audit]\ncheckpoint_file = ""\n', "audit.checkpoint_file"),
        ("[audit]\nsink = 1\n", "audit.sink"),
        ('[auth]\nkey_encryption_key = "short"\n', "auth.key_encryption_key"),
    ],
)
def test_bad_audit_settings_name_the_setting(tmp_path: Path, text: str, setting: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(write(tmp_path, text), {})
    assert caught.value.setting == setting


def test_key_encryption_key_from_the_file_or_the_environment(tmp_path: Path) -> None:
    in_file, in_env = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    path = write(tmp_path, f'[auth]\nkey_encryption_key = "{in_file}"\n')
    auth = load_settings(path, {}).auth
    assert auth.key_encryption_key is not None and len(auth.key_encryption_key) == 32
    assert in_file not in repr(auth)
    from_env = load_settings(path, {"CITIZEN_HUB_KEY_ENCRYPTION_KEY": in_env}).auth
    assert from_env.key_encryption_key != auth.key_encryption_key


def test_only_the_demo_runs_without_a_key_encryption_key(tmp_path: Path) -> None:
    plain = load_settings(write(tmp_path, ""), {})
    with pytest.raises(SettingsError) as caught:
        require_key_encryption_key(plain.auth)
    assert str(caught.value).startswith("setting auth.key_encryption_key: is not set")
    assert "\n" not in str(caught.value)
    note = key_storage_note(plain)
    assert note is not None and "UNENCRYPTED" in note
    sealed = load_settings(write(tmp_path, ""), {"CITIZEN_HUB_KEY_ENCRYPTION_KEY": "A" * 43})
    require_key_encryption_key(sealed.auth)
    assert key_storage_note(sealed) is None
