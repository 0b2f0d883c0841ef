"""SIAK: Disdukcapil's population register, the NIK master."""

from connectors.base import Source

SOURCE = Source.SIAK
