"""SIAK's part of the graph: the citizen, their address and family card."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from connectors.siak import records
from schema.scalars import NIK

if TYPE_CHECKING:
    from schema.antrian.types import QueueTicket
    from schema.apk.types import DistrictRequest
    from schema.cpns.types import CivilServiceApplication
    from schema.lpse.types import VendorRole
    from schema.psb.types import SchoolAdmission
    from schema.sikda.types import CivilServant
    from schema.sipbd.types import Asset

strawberry.enum(records.Sex, description="jenis kelamin (L laki-laki, P perempuan)")
strawberry.enum(records.MaritalStatus, description="status kawin")
strawberry.enum(records.FamilyRelationship, description="status hubungan dalam keluarga")


@strawberry.type(description="Alamat as SIAK records it: street, RT/RW, kelurahan, kecamatan.")
class Address:
    street: str | None = strawberry.field(description="alamat (jalan, nomor)")
    rt: int | None = strawberry.field(description="RT (rukun tetangga)")
    rw: int | None = strawberry.field(description="RW (rukun warga)")
    kelurahan: str | None
    kecamatan_code: str | None = strawberry.field(description="kode kecamatan (01–13)")
    kecamatan: str | None


def _take(found: dict[str, Any], field: str) -> Any:
    value = found.get(field)
    if isinstance(value, Exception):  # the read feeding this field failed: see federation
        raise value
    return value


@strawberry.type(
    description="A citizen of Kota Tangerang, keyed by NIK (federation key), with every"
    " product's rows about them. Product fields are null, with an error naming the"
    " source, when that source is down or slow."
)
class Citizen:
    nik: NIK
    full_name: str | None = strawberry.field(description="nama lengkap")
    birth_place: str | None = strawberry.field(description="tempat lahir")
    birth_date: date | None = strawberry.field(description="tanggal lahir")
    sex: records.Sex | None = strawberry.field(description="jenis kelamin")
    religion: str | None = strawberry.field(description="agama (sensitive)")
    marital_status: records.MaritalStatus | None = strawberry.field(
        description="status kawin (sensitive)"
    )
    occupation: str | None = strawberry.field(description="pekerjaan")
    address: Address | None = strawberry.field(description="alamat")
    found: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_profile(cls, profile: records.Profile, found: dict[str, Any]) -> Citizen:
        return cls(
            nik=profile.nik,  # type: ignore[arg-type]
            full_name=profile.full_name,
            birth_place=profile.birth_place,
            birth_date=profile.birth_date,
            sex=profile.sex,
            religion=profile.religion,
            marital_status=profile.marital_status,
            occupation=profile.occupation,
            address=profile.address,  # type: ignore[arg-type]
            found=found,
        )

    @strawberry.field(description="kartu keluarga (KK) and its members, from SIAK")
    def family(self) -> Family | None:
        return _take(self.found, "family")  # type: ignore[no-any-return]

    @strawberry.field(description="PSB: penerimaan siswa baru, school admission applications")
    def school_admissions(
        self,
    ) -> list[Annotated[SchoolAdmission, strawberry.lazy("schema.psb.types")]] | None:
        return _take(self.found, "schoolAdmissions")  # type: ignore[no-any-return]

    @strawberry.field(description="CPNS: civil-service candidate applications (pelamar)")
    def civil_service_applications(
        self,
    ) -> list[Annotated[CivilServiceApplication, strawberry.lazy("schema.cpns.types")]] | None:
        return _take(self.found, "civilServiceApplications")  # type: ignore[no-any-return]

    @strawberry.field(description="SIKDa: the citizen as a civil servant (pegawai), if they are")
    def employment(self) -> Annotated[CivilServant, strawberry.lazy("schema.sikda.types")] | None:
        return _take(self.found, "employment")  # type: ignore[no-any-return]

    @strawberry.field(
        description="SIPBD: regional assets (barang milik daerah) the citizen holds, reached"
        " through their NIP in SIKDa"
    )
    def assets_held(self) -> list[Annotated[Asset, strawberry.lazy("schema.sipbd.types")]] | None:
        return _take(self.found, "assetsHeld")  # type: ignore[no-any-return]

    @strawberry.field(description="LPSE: roles as director or owner (pengurus) of vendors")
    def procurement_roles(
        self,
    ) -> list[Annotated[VendorRole, strawberry.lazy("schema.lpse.types")]] | None:
        return _take(self.found, "procurementRoles")  # type: ignore[no-any-return]

    @strawberry.field(description="APK: district service requests (permohonan layanan kecamatan)")
    def district_requests(
        self,
    ) -> list[Annotated[DistrictRequest, strawberry.lazy("schema.apk.types")]] | None:
        return _take(self.found, "districtRequests")  # type: ignore[no-any-return]

    @strawberry.field(description="Antrian: queue tickets (tiket) at the public service centres")
    def queue_tickets(
        self,
    ) -> list[Annotated[QueueTicket, strawberry.lazy("schema.antrian.types")]] | None:
        return _take(self.found, "queueTickets")  # type: ignore[no-any-return]


@strawberry.type(description="A member of a family card, with their relationship to the head.")
class FamilyMember:
    relationship: records.FamilyRelationship = strawberry.field(description="status hubungan")
    citizen: Citizen | None


@strawberry.type(description="Kartu Keluarga (KK): the family card and its members, from SIAK.")
class Family:
    family_card_number: str = strawberry.field(description="nomor KK (16 digits)")
    head: Citizen | None = strawberry.field(description="kepala keluarga")
    members: list[FamilyMember] = strawberry.field(description="anggota keluarga, in card order")
