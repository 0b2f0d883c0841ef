"""bench/compare.py's choices: which hubs it runs and where their databases are."""

from __future__ import annotations

import argparse

import pytest

from bench.compare import HubSpec, hub_specs
from bench.replica import Names, dsn_of


def test_hub_list_names_workers_and_tcp() -> None:
    assert hub_specs("1,2,1tcp") == [HubSpec(1), HubSpec(2), HubSpec(1, tcp=True)]
    assert [s.name for s in hub_specs("1,2,1tcp")] == ["hub", "hub 2p", "hub tcp"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0", "is not a worker count"),
        ("two", "is not a worker count"),
        ("65", "is not a worker count"),
        ("1,,2", "is not a worker count"),
        ("tcp", "is not a worker count"),
        ("1,1", "names a hub twice"),
    ],
)
def test_a_bad_hub_list_is_refused_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=reason):
        hub_specs(text)


def test_socket_dsns_keep_the_user_and_port_and_drop_the_host() -> None:
    tcp = dsn_of("postgresql://postgres@127.0.0.1:5433")
    sock = dsn_of("postgresql://postgres@127.0.0.1:5433", "/var/run/postgresql")
    assert tcp("bench_siak") == "postgresql://postgres@127.0.0.1:5433/bench_siak"
    assert (
        sock("bench_siak") == "postgresql://postgres@/bench_siak?host=/var/run/postgresql&port=5433"
    )


def test_existing_products_are_read_beside_the_benchs_own_hub_and_replica() -> None:
    city = Names.existing("city_")
    assert (city.of("siak"), city.of("hub"), city.replica) == (
        "city_siak",
        "bench_city_hub",
        "bench_city_replica",
    )
    assert not city.seeded_here and Names().seeded_here
