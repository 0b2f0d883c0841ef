"""PSB (Penerimaan Siswa Baru online): school admissions, as GraphQL types.

The resolvers hand graphql-core the connector's records directly; these types
name the fields a client may read from them.
"""

from __future__ import annotations

from datetime import date

import strawberry

from connectors.psb import records

strawberry.enum(records.SchoolLevel, description="jenjang: SD or SMP")
strawberry.enum(records.AdmissionRoute, description="jalur pendaftaran")
strawberry.enum(records.SelectionStatus, description="status seleksi")


@strawberry.type(description="sekolah: a state school taking part in PSB")
class School:
    npsn: str = strawberry.field(description="NPSN, the national school number")
    name: str = strawberry.field(description="nama sekolah")
    level: records.SchoolLevel
    kecamatan: str


@strawberry.type(description="pilihan sekolah: one ranked school choice and how it ended")
class SchoolChoice:
    rank: int = strawberry.field(description="urutan pilihan, 1-3")
    school: School
    status: records.SelectionStatus | None = strawberry.field(
        description="null when the applicant was accepted at a higher-ranked choice"
    )


@strawberry.type(description="pendaftar: one PSB application, for one level and year")
class SchoolAdmission:
    registration_number: str = strawberry.field(description="nomor pendaftaran")
    admission_year: int = strawberry.field(description="tahun PSB")
    academic_year: str = strawberry.field(description="tahun ajaran, e.g. 2026/2027")
    registered_on: date = strawberry.field(description="tanggal daftar")
    level: records.SchoolLevel
    route: records.AdmissionRoute
    nisn: str | None = strawberry.field(description="NISN; most SD applicants have none yet")
    distance_metres: int | None = strawberry.field(description="jarak rumah ke sekolah")
    score: float | None = strawberry.field(description="nilai rata-rata rapor (SMP only)")
    status: records.SelectionStatus
    choices: list[SchoolChoice] = strawberry.field(description="pilihan sekolah 1-3")
    accepted_school: School | None = strawberry.field(description="sekolah tempat diterima")
