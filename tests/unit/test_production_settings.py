"""deploy/production.toml loads, makes no development choice, and the hub refuses to start when
one comes back; the operations settings and the metrics' bounded labels."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from hub.cli import main
from hub.metrics import OTHER, BoundedLabel
from hub.production import check_production, production_problems
from hub.settings import Settings, SettingsError, load_settings

PRODUCTION = Path(__file__).parents[2] / "deploy" / "production.toml"
SECRETS = {
    "CITIZEN_HUB_KEY_ENCRYPTION_KEY": secrets.token_urlsafe(32),
    "CITIZEN_HUB_METRICS_TOKEN": secrets.token_urlsafe(32),
}


def edited(tmp_path: Path, old: str, new: str) -> Path:
    text = PRODUCTION.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "production.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_the_production_file_makes_only_safe_choices() -> None:
    settings = load_settings(PRODUCTION, SECRETS)
    assert settings.production and production_problems(settings) == []
    check_production(settings)
    assert not settings.graphql.introspection and settings.graphql.required
    assert not settings.graphql.graphiql_free_text
    assert not settings.auth.development_sign_in
    assert settings.metrics.token == SECRETS["CITIZEN_HUB_METRICS_TOKEN"]
    assert settings.metrics.networks == ("10.20.30.0/24",)
    assert settings.log_format == "json" and settings.shutdown_seconds == 30
    assert settings.telemetry.otlp_endpoint is None  # traces off until an endpoint is set


def test_secrets_left_out_stop_the_start_naming_each() -> None:
    settings = load_settings(PRODUCTION, {})
    with pytest.raises(SettingsError) as refused:
        check_production(settings)
    message = str(refused.value)
    assert message.startswith("setting server.production: the hub will not start")
    assert "auth.key_encryption_key is required" in message
    assert "metrics.token is required" in message


@pytest.mark.parametrize(
    ("old", "new", "setting"),
    [
        ("development_sign_in = false", "development_sign_in = true", "auth.development_sign_in"),
        ("introspection = false", "introspection = true", "graphql.introspection"),
        ('trusted_documents = "required"', 'trusted_documents = "optional"',
         "graphql.trusted_documents"),
        ("graphiql_free_text = false", "graphiql_free_text = true", "graphql.graphiql_free_text"),
        ('issuer = "https://hub.tangerangkota.go.id"', "", "auth.issuer"),
    ],
)  # fmt: skip
def test_one_development_choice_stops_the_start(
    tmp_path: Path, old: str, new: str, setting: str
) -> None:
    settings = load_settings(edited(tmp_path, old, new), SECRETS)
    with pytest.raises(SettingsError) as refused:
        check_production(settings)
    assert refused.value.setting == setting
    assert "production = true" in str(refused.value)


def test_serve_refuses_the_development_sign_in_under_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Even where a staging hub may serve it (development_sign_in_in_serve), production may not.
    path = edited(
        tmp_path,
        "development_sign_in = false",
        "development_sign_in = true\ndevelopment_sign_in_in_serve = true",
    )
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    assert main(["--config", str(path), "serve"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("citizen-hub: setting auth.development_sign_in: must be false")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_demo_refuses_production_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    assert main(["--config", str(PRODUCTION), "demo"]) == 2
    assert "auth.development_sign_in" in capsys.readouterr().err


def test_the_hub_app_refuses_production_settings_with_a_development_choice() -> None:
    from hub.app import create_app

    settings = Settings(production=True, source_dsns={}, hub_dsn="postgresql://x@h/hub")
    with pytest.raises(ValueError, match="every DSN"):
        create_app(settings)  # the DSN check comes first; the production one is next
    assert production_problems(settings)


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ('[metrics]\ntoken = "short"', "metrics.token: must be at least 16 characters"),
        ('[metrics]\nnetworks = ["10.0.0.0/33"]', "is not a network such as 10.20.0.0/16"),
        ("[server]\nshutdown_seconds = 0", "server.shutdown_seconds: must be positive"),
        ('[server]\nlog_format = "xml"', "server.log_format: must be json or text"),
        ('[telemetry]\notlp_endpoint = "collector:4318"', "must be an http(s):// URL"),
        ("[telemetry]\nsample_ratio = 2", "telemetry.sample_ratio: must be above 0"),
    ],
)
def test_operations_settings_name_what_is_wrong(tmp_path: Path, section: str, problem: str) -> None:
    path = tmp_path / "hub.toml"
    path.write_text(section + "\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        load_settings(path, {})


def test_labels_stay_bounded_and_never_carry_digits_of_a_nik() -> None:
    label = BoundedLabel(3)
    assert label("CitizenName") == "CitizenName"
    assert label(None) == "anonymous"
    assert label("_3671012345678901") == OTHER  # a NIK hidden in an operation name
    assert label("query with spaces") == OTHER
    assert label("x" * 65) == OTHER
    assert [label(f"Op{n}") for n in range(4)] == ["Op0", "Op1", OTHER, OTHER]
    assert label("CitizenName") == "CitizenName"  # seen before: still itself
    fresh = BoundedLabel(3)
    assert fresh("Flood1", admit=False) == OTHER  # an anonymous caller adds no name
    assert fresh("Catalogue") == "Catalogue"
    assert fresh("Catalogue", admit=False) == "Catalogue"  # brought by a partner first
