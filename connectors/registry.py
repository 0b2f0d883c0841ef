"""The eight connectors, in the order their seeders run (later ones use earlier exports)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectors.base import Source, read_ddl

if TYPE_CHECKING:
    from connectors.base import Seeder

SEED_ORDER: tuple[Source, ...] = (
    Source.SIAK,
    Source.PSB,
    Source.CPNS,
    Source.SIKDA,
    Source.SIPBD,
    Source.LPSE,
    Source.APK,
    Source.ANTRIAN,
)


@dataclass(frozen=True, slots=True)
class ConnectorModule:
    source: Source
    package: str

    @property
    def ddl(self) -> str:
        return read_ddl(self.package)

    @property
    def seeder(self) -> Seeder:
        module = importlib.import_module(f"{self.package}.seed")
        seeder: Seeder = module.seed
        return seeder


CONNECTORS: dict[Source, ConnectorModule] = {
    s: ConnectorModule(s, f"connectors.{s.value}") for s in SEED_ORDER
}
