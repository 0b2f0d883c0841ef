"""SIPBD: the city's regional assets (KIB A-F), each held by an employee known only by NIP."""

from connectors.base import Source

SOURCE = Source.SIPBD
