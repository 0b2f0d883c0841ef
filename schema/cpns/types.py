"""CPNS (CPNS online): civil-service candidate applications, as GraphQL types."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from connectors.cpns import records

strawberry.enum(records.AdministrationResult, description="seleksi administrasi: MS or TMS")
strawberry.enum(
    records.CivilServiceOutcome, description="hasil akhir: LULUS, TIDAK LULUS, P/L, TMS"
)


@strawberry.type(
    description="SKD (seleksi kompetensi dasar) scores; passing grades TWK 65, TIU 80, TKP 166"
)
class SkdScores:
    twk: int = strawberry.field(description="tes wawasan kebangsaan")
    tiu: int = strawberry.field(description="tes intelegensia umum")
    tkp: int = strawberry.field(description="tes karakteristik pribadi")
    total: int
    passed: bool = strawberry.field(description="every part reached its passing grade")


@strawberry.type(description="pelamar: one CPNS application")
class CivilServiceApplication:
    registration_number: str = strawberry.field(description="nomor peserta")
    year: int = strawberry.field(description="tahun seleksi")
    registered_on: date
    formation_code: str = strawberry.field(description="kode formasi")
    position: str = strawberry.field(description="jabatan")
    required_education: str = strawberry.field(description="kualifikasi pendidikan")
    agency: str = strawberry.field(description="instansi")
    administration: records.AdministrationResult | None
    skd: SkdScores | None = strawberry.field(description="null before CAT or if TMS")
    skb_score: Decimal | None = strawberry.field(description="nilai SKB")
    final_score: Decimal | None = strawberry.field(description="nilai akhir")
    final_status: records.CivilServiceOutcome
