"""SIKDa: the city's civil-servant personnel register (PNS and PPPK), keyed by NIP and NIK."""

from connectors.base import Source

SOURCE = Source.SIKDA
