"""SIKDa (Sistem Informasi Kepegawaian Daerah): civil servants, as GraphQL types."""

from __future__ import annotations

from datetime import date

import strawberry

from connectors.sikda import records

strawberry.enum(records.EmploymentStatus, description="status pegawai")
strawberry.enum(records.PositionType, description="jenis jabatan")
strawberry.enum(
    records.Rank,
    description="pangkat/golongan: I/a–IV/e for PNS, I–XVII for PPPK",
)


@strawberry.type(description="riwayat pangkat: one rank and since when")
class RankHistoryEntry:
    rank: records.Rank
    since: date = strawberry.field(description="TMT pangkat")
    decree_number: str | None = strawberry.field(description="nomor SK")


@strawberry.type(description="riwayat jabatan: one position and since when")
class PositionHistoryEntry:
    position: str = strawberry.field(description="jabatan")
    position_type: records.PositionType
    unit: str = strawberry.field(description="unit kerja (OPD)")
    since: date = strawberry.field(description="TMT jabatan")


@strawberry.type(description="pegawai: a civil servant of the city (PNS or PPPK)")
class CivilServant:
    nip: str = strawberry.field(
        description="NIP, 18 digits: birth date, CPNS start (yyyymm), sex, serial"
    )
    name: str = strawberry.field(description="nama")
    title_before: str | None = strawberry.field(description="gelar depan")
    title_after: str | None = strawberry.field(description="gelar belakang")
    status: records.EmploymentStatus
    rank: records.Rank
    rank_since: date = strawberry.field(description="TMT golongan")
    position: str = strawberry.field(description="jabatan")
    position_type: records.PositionType
    position_since: date
    unit: str = strawberry.field(description="unit kerja (OPD)")
    unit_code: str
    cpns_start: date | None = strawberry.field(description="TMT CPNS")
    pns_start: date | None = strawberry.field(description="TMT PNS")
    pppk_start: date | None = strawberry.field(description="TMT PPPK")
    rank_history: list[RankHistoryEntry] = strawberry.field(description="riwayat pangkat")
    position_history: list[PositionHistoryEntry] = strawberry.field(description="riwayat jabatan")

    @strawberry.field(description="golongan as written, e.g. III/a")
    def golongan(self) -> str:
        return self.rank.golongan

    @strawberry.field(description="the rank's name, e.g. Penata Muda")
    def rank_title(self) -> str:
        return self.rank.title
