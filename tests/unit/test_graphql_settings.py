"""``[graphql]`` and the new ``[limits]``: read from the file, each bad value named."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.settings import SettingsError, load_settings
from schema.execution.trusted import DocumentRules


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "citizen-hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_keep_introspection_and_free_text(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""), {})
    assert settings.graphql == DocumentRules()
    assert settings.graphql.introspection and not settings.graphql.required
    limits = settings.limits
    assert (limits.max_aliases, limits.max_cost, limits.cost_per_minute) == (30, 5000, 50_000)
    assert (limits.max_body_bytes, limits.max_variables_bytes) == (262_144, 65_536)


def test_the_production_choices_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[graphql]\nintrospection = false\ntrusted_documents = "required"\n'
        'free_text_clients = ["ch_partner"]\ngraphiql_free_text = false\n'
        "[limits]\nmax_cost = 800\ncost_per_minute = 4000\nfamily_size = 12\n",
    )
    settings = load_settings(path, {})
    assert settings.graphql == DocumentRules(
        introspection=False,
        required=True,
        free_text_clients=frozenset({"ch_partner"}),
        graphiql_free_text=False,
    )
    assert (settings.limits.max_cost, settings.limits.cost_per_minute) == (800, 4000)
    assert settings.limits.family_size == 12


@pytest.mark.parametrize(
    ("text", "setting", "problem"),
    [
        ('[graphql]\ntrusted_documents = "always"', "graphql.trusted_documents", "optional or"),
        ('[graphql]\nintrospection = "no"', "graphql.introspection", "true or false"),
        ('[graphql]\ntrusted_clients = "ch_x"', "graphql.trusted_clients", "list of client"),
        ("[graphql]\nfree_text_clients = [1]", "graphql.free_text_clients", "list of client"),
        ("[graphql]\nintrospect = false", "graphql.introspect", "unknown key"),
        ("[limits]\nmax_cost = 0", "limits.max_cost", "positive"),
        ('[limits]\nmax_body_bytes = "1MB"', "limits.max_body_bytes", "a number"),
    ],
)
def test_a_bad_value_names_its_setting(
    tmp_path: Path, text: str, setting: str, problem: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(write(tmp_path, text), {})
    assert caught.value.setting == setting and problem in str(caught.value)
