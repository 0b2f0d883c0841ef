"""The address of the client behind a request: what anonymous limits and sign-in failures
are counted by.

Behind a proxy (deploy/nginx.conf) every request's TCP peer is the proxy, so keying on
``request.remote`` would put every anonymous caller in one bucket. ``[server]
trusted_proxies`` lists the proxies' networks: only when the peer is inside one is the
``X-Forwarded-For`` header believed, and then the client is its right-most address that
is not itself a trusted proxy (each proxy appends the peer it saw; anything to the left
of that was written by the client and proves nothing). From any other peer the header
is ignored, so sending it does not buy a fresh bucket.

Written here rather than taken from ``aiohttp-remotes``: its ``XForwardedStrict``
answers 400 to every request whose peer is not a proxy (the monitoring network, a
health check on the instance) and matches proxies by their position in the chain, and
both of its tools rewrite ``request.remote`` for the whole app, where ``/metrics`` must
keep judging the TCP peer (:mod:`hub.metrics`). aiohttp reads only RFC 7239
``Forwarded``, which nginx does not send.

Every place that needs the client's address calls :func:`client_address`: the GraphQL
context over HTTP and websockets (:mod:`hub.graphql`), the websocket cap per address,
and the development sign-in's failure counts (:mod:`hub.oauth.development`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Final

from aiohttp import hdrs, web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

TRUSTED_PROXIES: Final = web.AppKey("trusted_proxies", tuple[Network, ...])
MAX_HOPS: Final = 32  # a longer chain is not a real one: read no further than this


def proxy_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """``[server] trusted_proxies`` (or ``[metrics] networks``) as networks (the settings
    checked each one already)."""
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def client_address(request: web.Request) -> str | None:
    """The client's address: the TCP peer, or, when the peer is a trusted proxy, the
    right-most ``X-Forwarded-For`` address that is not a trusted proxy."""
    peer = request.remote
    proxies = request.app.get(TRUSTED_PROXIES, ())
    if not within(peer, proxies):
        return peer
    hops = [
        hop.strip()
        for value in request.headers.getall(hdrs.X_FORWARDED_FOR, [])
        for hop in value.split(",")
    ]
    client = _parsed(peer)
    for hop in reversed(hops[-MAX_HOPS:]):
        address = _parsed(hop)
        if address is None:
            # Garbage where an address should be: the last proxy that wrote a good one
            # is as far as the chain can be followed.
            break
        client = address
        if not _inside(address, proxies):
            break
    return str(client) if client is not None else peer


def within(text: str | None, networks: tuple[Network, ...]) -> bool:
    """Whether the address ``text`` (as ``request.remote`` gives it: an IPv6 zone, an
    IPv4-mapped form) is inside one of ``networks``; garbage or None is inside none."""
    return _inside(_parsed(text), networks)


def _inside(address: Address | None, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address in network for network in networks)


def _parsed(text: str | None) -> Address | None:
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
