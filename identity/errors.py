"""The one error every identifier raises when it does not parse.

::

    ValueError
    └── InvalidIdentifier          rule: the broken rule, e.g. "length", "birth_date"
        ├── InvalidNIK             identity.nik
        ├── InvalidPhone           identity.phone
        ├── InvalidKK              identity.kk
        ├── InvalidNIP             identity.nip
        ├── InvalidNISN            identity.nisn
        ├── InvalidNPWP            identity.npwp
        └── InvalidRecordNumber    identity.numbers (registration, request, ticket numbers)
"""

from __future__ import annotations


class InvalidIdentifier(ValueError):
    """An identifier broke one of its rules; ``rule`` names which one, the message how to fix it."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
