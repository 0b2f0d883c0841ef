"""The [auth] settings: the hub's issuer and trusted issuers (bad ones: test_settings)."""

from __future__ import annotations

import secrets
from pathlib import Path

from hub.settings import AuthSettings, TrustedIssuer, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "citizen-hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_need_no_auth_section(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""), {})
    assert settings.auth == AuthSettings()
    assert settings.auth.issuer == "urn:citizen-hub"
    assert settings.auth.leeway_seconds == 30


def test_auth_section_and_trusted_issuers_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[auth]\nissuer = "https://hub.example.id"\nleeway_seconds = 0\nsigning_alg = "RS256"\n'
        "jwks_refresh_seconds = 5\n"
        '[[auth.issuers]]\nissuer = "https://sso.example.id/realms/warga"\n'
        'jwks_url = "https://sso.example.id/certs"\n'
        '[[auth.issuers]]\nissuer = "local"\njwks_url = "http://127.0.0.1:9000/jwks"\n'
        'audience = "hub-local"\n',
    )
    key = secrets.token_urlsafe(32)
    auth = load_settings(path, {"CITIZEN_HUB_KEY_ENCRYPTION_KEY": key}).auth
    assert auth.issuer == "https://hub.example.id"
    assert auth.leeway_seconds == 0
    assert auth.signing_alg == "RS256"
    assert auth.jwks_refresh_seconds == 5.0
    assert auth.issuers == (
        TrustedIssuer("https://sso.example.id/realms/warga", "https://sso.example.id/certs"),
        TrustedIssuer("local", "http://127.0.0.1:9000/jwks", "hub-local"),
    )
    assert auth.key_encryption_key is not None and len(auth.key_encryption_key) == 32
    assert key not in repr(auth)


def test_environment_names_the_issuer(tmp_path: Path) -> None:
    path = write(tmp_path, '[auth]\nissuer = "https://file.example.id"\n')
    settings = load_settings(path, {"CITIZEN_HUB_AUTH_ISSUER": "https://env.example.id"})
    assert settings.auth.issuer == "https://env.example.id"
