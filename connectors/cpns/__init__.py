"""CPNS: the civil-service recruitment applications (CPNS online), keyed by applicant NIK."""

from connectors.base import Source

SOURCE = Source.CPNS
