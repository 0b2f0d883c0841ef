"""LPSE's synthetic packages (paket), bids (peserta) and winners (pemenang).

A package is drafted first (category, budget, method, stage), then vendors bid
on it; the lowest bid that passed evaluation wins. Codes are handed out once all
packages are drafted, in announcement order, as the SPSE numbers them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate

from connectors.base import TableRows
from connectors.city import REFERENCE_DATE, STREETS
from connectors.lpse.catalogue import (
    CATEGORIES,
    DIRECT_LIMIT,
    DIRECT_LIMIT_CONSULTANCY,
    FACILITIES,
    HOSPITALS,
    RIVERS,
    Category,
)
from connectors.lpse.records import BidStatus, ProcurementCategory, ProcurementMethod, TenderStage
from identity.regions import KECAMATAN, KELURAHAN

Method = ProcurementMethod
Stage = TenderStage
# Methods where one vendor is invited or ordered from, rather than competing.
SINGLE_VENDOR = frozenset(
    {Method.DIRECT_PROCUREMENT, Method.DIRECT_APPOINTMENT, Method.E_PURCHASING}
)


@dataclass(slots=True)
class Bid:
    vendor_id: int
    amount: int | None
    status: BidStatus


@dataclass(slots=True)
class Package:
    year: int
    announced: date
    category: Category
    name: str
    work_unit: str
    ceiling: int
    estimate: int
    method: ProcurementMethod
    stage: TenderStage
    bids: list[Bid] = field(default_factory=list)
    winner: Bid | None = None


class PackageDrafter:
    """Drafts packages and their bids from one random stream, over a fixed set of vendors."""

    def __init__(self, rng: random.Random, vendor_ids: list[int]) -> None:
        self.rng = rng
        self.vendor_ids = vendor_ids
        self._cum_weights = list(accumulate(c.weight for c in CATEGORIES))
        self._kecamatan = sorted(KECAMATAN)

    def draft(
        self,
        year: int,
        *,
        category: ProcurementCategory | None = None,
        min_ceiling: int = 0,
        announced: date | None = None,
    ) -> Package:
        """A package of ``year``, its method following from its category and budget."""
        rng = self.rng
        if category is None:
            cat = rng.choices(CATEGORIES, cum_weights=self._cum_weights)[0]
        else:
            cat = next(c for c in CATEGORIES if c.kind is category)
        low, high = max(cat.ceiling[0], min_ceiling), cat.ceiling[1]
        ceiling = _thousands(low * (high / low) ** rng.random())
        method = _method(rng, cat.kind, ceiling)
        announced = announced or _announcement(rng, year)
        kec = rng.choice(self._kecamatan)
        template, work_units = rng.choice(cat.templates)
        name = template.format(
            street=rng.choice(STREETS),
            kel=rng.choice(KELURAHAN[kec]),
            kec=KECAMATAN[kec],
            rw=rng.randint(1, 12),
            n=rng.randint(1, 30),
            river=rng.choice(RIVERS),
            hospital=rng.choice(HOSPITALS),
            facility=rng.choice(FACILITIES),
            year=year,
        )
        return Package(
            year=year,
            announced=announced,
            category=cat,
            name=name,
            work_unit=rng.choice(work_units),
            ceiling=ceiling,
            estimate=_thousands(ceiling * rng.uniform(0.9, 1.0)),
            method=method,
            stage=_stage(method, announced),
            bids=[],
        )

    def bid(self, package: Package, *, winner: int | None = None, loser: int | None = None) -> None:
        """Vendors bid on ``package``; ``winner``/``loser`` take part with that outcome."""
        rng = self.rng
        single = package.method in SINGLE_VENDOR
        if single:
            wanted = 1
        elif package.method is Method.SELECTION:
            wanted = rng.randint(3, 5)
        else:
            wanted = rng.randint(3 if winner or loser else 2, 8)
        forced = [v for v in (winner, loser) if v is not None]
        drawn = rng.sample(self.vendor_ids, min(wanted, len(self.vendor_ids)))
        chosen = forced + [v for v in drawn if v not in forced][: max(wanted - len(forced), 1)]
        decided = package.stage in (Stage.WINNER_DETERMINED, Stage.COMPLETED)
        for vendor_id in chosen:
            free = vendor_id not in forced and not single
            if package.stage is Stage.ANNOUNCEMENT or (free and rng.random() < 0.15):
                # Registered but never sent a bid, as many SPSE participants do.
                package.bids.append(Bid(vendor_id, None, BidStatus.REGISTERED))
                continue
            share = 0.995 if vendor_id == loser else rng.uniform(0.82, 0.99)
            if not decided:
                status = BidStatus.SUBMITTED
            elif free and rng.random() < 0.2:
                status = BidStatus.DISQUALIFIED
            else:
                status = BidStatus.PASSED
            package.bids.append(Bid(vendor_id, _thousands(package.estimate * share), status))
        if decided:
            self._decide(package, winner, loser)

    def _decide(self, package: Package, winner: int | None, loser: int | None) -> None:
        passed = [b for b in package.bids if b.status is BidStatus.PASSED and b.vendor_id != loser]
        if not passed:
            # Every rival fell out: the evaluation committee passes the first rival anyway.
            rival = next(b for b in package.bids if b.vendor_id != loser)
            rival.amount = rival.amount or _thousands(package.estimate * 0.95)
            rival.status = BidStatus.PASSED
            passed = [rival]
        if winner is not None:
            best = next(b for b in package.bids if b.vendor_id == winner)
            lowest = min(b.amount or package.estimate for b in passed)
            best.amount = min(best.amount or lowest, _thousands(lowest * 0.99))
        else:
            best = min(passed, key=lambda b: b.amount or package.estimate)
        best.status = BidStatus.WINNER
        package.winner = best


def package_tables(
    rng: random.Random, packages: list[Package]
) -> tuple[TableRows, TableRows, TableRows]:
    """``paket``, ``peserta`` and ``pemenang`` rows, codes numbered in announcement order."""
    paket = TableRows(
        (
            "kode_tender",
            "nama_paket",
            "satker",
            "jenis_pengadaan",
            "tahun_anggaran",
            "pagu",
            "hps",
            "metode",
            "tahapan",
            "tgl_pengumuman",
        )
    )
    peserta = TableRows(("kode_tender", "id_penyedia", "harga_penawaran", "status"))
    pemenang = TableRows(("kode_tender", "id_penyedia", "harga_kontrak"))
    packages.sort(key=lambda p: p.announced)
    for index, p in enumerate(packages):
        code = str(10_400_000 + index * 7 + rng.randrange(7))
        paket.rows.append(
            (
                code,
                p.name,
                p.work_unit,
                p.category.kind.value,
                p.year,
                Decimal(p.ceiling),
                Decimal(p.estimate),
                p.method.value,
                p.stage.value,
                p.announced,
            )
        )
        for b in p.bids:
            bid = Decimal(b.amount) if b.amount is not None else None
            peserta.rows.append((code, b.vendor_id, bid, b.status.value))
        if p.winner is not None:
            # The contract value is known only once the contract is signed.
            won = p.winner.amount
            signed = p.stage is Stage.COMPLETED
            contract = Decimal(won) if signed and won is not None else None
            pemenang.rows.append((code, p.winner.vendor_id, contract))
    return paket, peserta, pemenang


def _thousands(value: float) -> int:
    return int(value) // 1000 * 1000


def _method(rng: random.Random, kind: ProcurementCategory, ceiling: int) -> ProcurementMethod:
    if kind is ProcurementCategory.GOODS and rng.random() < 0.45:
        return Method.E_PURCHASING
    if kind is ProcurementCategory.CONSULTANCY:
        return (
            Method.DIRECT_PROCUREMENT if ceiling <= DIRECT_LIMIT_CONSULTANCY else Method.SELECTION
        )
    if ceiling <= DIRECT_LIMIT:
        return Method.DIRECT_PROCUREMENT
    if kind is ProcurementCategory.OTHER_SERVICES and rng.random() < 0.05:
        return Method.DIRECT_APPOINTMENT
    if kind is ProcurementCategory.CONSTRUCTION and rng.random() < 0.15:
        return Method.QUICK_TENDER
    return Method.TENDER


def _announcement(rng: random.Random, year: int) -> date:
    start = date(year, 1, 10)
    last = min(date(year, 11, 30), REFERENCE_DATE - timedelta(days=1))
    return start + timedelta(days=rng.randint(0, (last - start).days))


def _stage(method: ProcurementMethod, announced: date) -> TenderStage:
    # Direct procurement and e-purchasing run in days, tenders in weeks.
    age = (REFERENCE_DATE - announced).days * (3 if method in SINGLE_VENDOR else 1)
    if age > 75:
        return Stage.COMPLETED
    if age > 40:
        return Stage.WINNER_DETERMINED
    if age > 14:
        return Stage.EVALUATION
    return Stage.ANNOUNCEMENT
