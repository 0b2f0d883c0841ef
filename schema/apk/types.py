"""APK (Aplikasi Pelayanan Kecamatan): district service requests, as GraphQL types."""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.apk import records
from connectors.apk.details import Answer, questions

strawberry.enum(records.RequestStatus, description="status permohonan")
strawberry.enum(Answer, description="how an answer is written: TEXT, NUMBER (digits), DATE")


@strawberry.type(description="one question of a request's form (submitDistrictRequest details)")
class FormQuestion:
    name: str = strawberry.field(description="the detail's name in submitDistrictRequest")
    answer: Answer
    required: bool


@strawberry.type(description="jenis layanan: a service the kecamatan offices offer")
class DistrictServiceType:
    code: str = strawberry.field(description="kode layanan")
    name: str = strawberry.field(description="nama layanan, e.g. SKTM, SURAT PENGANTAR")
    processing_days: int = strawberry.field(description="lama proses (hari kerja)")
    requirements: list[str] = strawberry.field(description="persyaratan")

    @strawberry.field(description="what submitDistrictRequest asks for this service (details)")
    def questions(self) -> list[FormQuestion]:
        code: str = self.code
        return [
            FormQuestion(name=q.key, answer=q.answer, required=q.required) for q in questions(code)
        ]


@strawberry.type(description="riwayat status: one step of a request")
class StatusChange:
    status: records.RequestStatus
    at: datetime
    note: str | None = strawberry.field(description="catatan petugas")


@strawberry.type(description="permohonan: one request to a kecamatan office")
class DistrictRequest:
    number: str = strawberry.field(description="nomor permohonan, e.g. APK/05/2026/000123")
    service_code: str = strawberry.field(description="kode layanan")
    service_name: str = strawberry.field(description="nama layanan")
    kecamatan_code: str
    kecamatan: str | None
    purpose: str | None = strawberry.field(description="keperluan")
    submitted_at: datetime = strawberry.field(description="tanggal pengajuan")
    status: records.RequestStatus = strawberry.field(description="status terakhir")
    history: list[StatusChange] = strawberry.field(description="riwayat status, oldest first")
