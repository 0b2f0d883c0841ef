"""``[server] trusted_proxies`` and ``[limits]`` websocket settings as read from a file,
and which peer addresses a list of networks takes in (trusted proxies, /metrics readers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.client_address import proxy_networks, within
from hub.settings import Settings, SettingsError, load_settings

PRODUCTION = Path(__file__).parents[2] / "deploy" / "production.toml"


def settings_of(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "hub.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, environ={})


def test_trusted_proxies_are_none_by_default_and_read_as_cidrs(tmp_path: Path) -> None:
    assert settings_of(tmp_path, "[server]\n").trusted_proxies == ()
    settings = settings_of(tmp_path, '[server]\ntrusted_proxies = ["10.20.40.5/32", "::1"]\n')
    assert settings.trusted_proxies == ("10.20.40.5/32", "::1")


@pytest.mark.parametrize(
    ("value", "said"),
    [('"10.0.0.0/8"', "must be a list of CIDRs"), ('["nginx"]', "'nginx' is not a network")],
)
def test_a_bad_trusted_proxy_is_named(tmp_path: Path, value: str, said: str) -> None:
    with pytest.raises(SettingsError, match=r"server\.trusted_proxies") as error:
        settings_of(tmp_path, f"[server]\ntrusted_proxies = {value}\n")
    assert said in str(error.value)


def test_the_production_file_lists_its_proxy_and_caps_websockets() -> None:
    settings = load_settings(PRODUCTION, environ={})
    assert settings.trusted_proxies
    assert settings.limits.websockets_per_address == 20
    assert settings.limits.websocket_idle_seconds == 60


@pytest.mark.parametrize(
    ("peer", "inside"),
    [
        ("10.20.30.7", True),
        ("::ffff:10.20.30.7", True),  # a dual-stack socket's form of an IPv4 peer
        ("fe80::1%eth0", True),  # a link-local peer with its zone
        ("10.20.31.7", False),
        ("fe80::2:1", True),
        ("2001:db8::1", False),
        ("not-an-address", False),
        ("", False),
        (None, False),
    ],
)
def test_a_peer_is_inside_the_networks_in_any_of_its_written_forms(
    peer: str | None, inside: bool
) -> None:
    networks = proxy_networks(["10.20.30.0/24", "fe80::/64"])
    assert within(peer, networks) is inside
