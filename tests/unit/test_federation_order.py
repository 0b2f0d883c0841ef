"""A second-level read waits only on the read it needs, not on the whole first level."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from types import SimpleNamespace
from typing import Any

from graphql import FieldNode, OperationDefinitionNode, parse

from connectors.base import Source, SourceDB, Store
from connectors.siak.records import Address, Profile, Sex
from schema.execution import gate
from schema.federation import Federation
from schema.selection import Plan

NIK = "3671014107900003"
NIP = "199001012015031001"


class SlowDistrict(Federation):
    """APK answers only once SIPBD has been asked: SIPBD must not wait for APK."""

    def __init__(self) -> None:
        super().__init__({}, None, None)  # type: ignore[arg-type]
        self.gate = gate.OPEN
        self.sipbd_asked = asyncio.Event()
        self.asked: list[str] = []

    async def read(
        self,
        source: Source | Store,
        batch: Callable[[SourceDB, Sequence[str]], Awaitable[Any]],
        keys: Sequence[str],
    ) -> Any:
        self.asked.append(source.name)
        await asyncio.sleep(0)
        if source is Source.SIAK:
            address = Address("Jl. Merdeka 1", 1, 2, "Sukasari", "01", "Tangerang")
            return {NIK: Profile(NIK, "3671010101900001", "SITI", None, date(1990, 1, 1),
                                 Sex.FEMALE, None, None, None, None, address)}  # fmt: skip
        if source is Source.SIKDA:
            return {NIK: SimpleNamespace(nip=NIP)}
        if source is Source.SIPBD:
            self.sipbd_asked.set()
            return {NIP: ["an asset"]}
        if source is Source.APK:
            await self.sipbd_asked.wait()
            return {NIK: ["a request"]}
        return {}


def plan_of(selection: str) -> Plan:
    document = parse("{ citizens(niks: []) { nik " + selection + " } }")
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    root = operation.selection_set.selections[0]
    assert isinstance(root, FieldNode)
    return Plan([root], {}, {})


async def test_assets_are_read_while_a_slow_unrelated_source_still_works() -> None:
    federation = SlowDistrict()
    plan = plan_of("employment { nip } assetsHeld { assetCode } districtRequests { number }")
    [citizen] = await asyncio.wait_for(federation.citizens([NIK], plan), timeout=5)
    assert citizen is not None
    assert citizen.assets_held == ["an asset"]  # type: ignore[union-attr]
    assert citizen.district_requests == ["a request"]  # type: ignore[union-attr]
    assert sorted(federation.asked) == ["APK", "SIAK", "SIKDA", "SIPBD"]
