"""SIAK's part of the graph: the citizen, their address and family card."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from connectors.siak import records
from schema.audit import types as audit_types
from schema.consents import Consent, consents_of
from schema.scalars import NIK

if TYPE_CHECKING:
    from schema.antrian.types import QueueTicket
    from schema.apk.types import DistrictRequest
    from schema.audit.types import AccessHistory, AccessSummaryLine, Disclosure
    from schema.cpns.types import CivilServiceApplication
    from schema.identity.types import LinkedIdentifier
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


@strawberry.federation.type(
    keys=["nik"],
    description="A citizen of Kota Tangerang, keyed by NIK (federation key), with every"
    " product's rows about them. Product fields are null, with an error naming the"
    " source, when that source is down or slow.",
)
class Citizen:
    nik: NIK
    id: strawberry.ID = strawberry.field(
        default=strawberry.ID(""),
        description="An opaque id of this citizen, stable for the caller it is shown to and"
        " meaningless to any other: what forCitizen takes when the NIK is masked",
    )
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
    deceased: bool | None = strawberry.field(
        default=None,
        description="true when SIAK registered the citizen's death (akta kematian), false"
        " otherwise; null only where not allowed",
    )
    died_on: date | None = strawberry.field(
        default=None, description="tanggal meninggal, from the death certificate; null if living"
    )
    # Product fields are plain attributes, read by graphql-core without a resolver
    # call. Each holds its value, or the exception of the read that feeds it:
    # graphql-core raises an Exception found as a field's value, so that field is
    # null with its error (SOURCE_UNAVAILABLE, SOURCE_TIMEOUT, or INTERNAL) and the
    # rest of the answer stands. See schema/federation.py.
    family: Family | None = strawberry.field(
        default=None, description="kartu keluarga (KK) and its members, from SIAK"
    )
    school_admissions: (
        list[Annotated[SchoolAdmission, strawberry.lazy("schema.psb.types")]] | None
    ) = strawberry.field(
        default=None,
        description="PSB: penerimaan siswa baru, school admission applications",
    )
    civil_service_applications: (
        list[Annotated[CivilServiceApplication, strawberry.lazy("schema.cpns.types")]] | None
    ) = strawberry.field(
        default=None, description="CPNS: civil-service candidate applications (pelamar)"
    )
    employment: Annotated[CivilServant, strawberry.lazy("schema.sikda.types")] | None = (
        strawberry.field(
            default=None,
            description="SIKDa: the citizen as a civil servant (pegawai), if they are",
        )
    )
    assets_held: list[Annotated[Asset, strawberry.lazy("schema.sipbd.types")]] | None = (
        strawberry.field(
            default=None,
            description="SIPBD: regional assets (barang milik daerah) the citizen holds,"
            " reached through their NIP in SIKDa",
        )
    )
    procurement_roles: list[Annotated[VendorRole, strawberry.lazy("schema.lpse.types")]] | None = (
        strawberry.field(
            default=None,
            description="LPSE: roles as director or owner (pengurus) of vendors",
        )
    )
    district_requests: (
        list[Annotated[DistrictRequest, strawberry.lazy("schema.apk.types")]] | None
    ) = strawberry.field(
        default=None,
        description="APK: district service requests (permohonan layanan kecamatan)",
    )
    queue_tickets: list[Annotated[QueueTicket, strawberry.lazy("schema.antrian.types")]] | None = (
        strawberry.field(
            default=None,
            description="Antrian: queue tickets (tiket) at the public service centres: those"
            " carrying the NIK (link EXACT) and walk-ins matched by phone (link MATCHED)",
        )
    )
    identifiers: (
        list[Annotated[LinkedIdentifier, strawberry.lazy("schema.identity.types")]] | None
    ) = strawberry.field(
        default=None,
        description="NIP, NISN, NPWP, phones, family cards and record numbers the products"
        " hold for this citizen, each with where it was found and how it was linked"
        " (the identity crosswalk, rebuilt by `citizen-hub identity sync`)",
    )

    consents: list[Consent] | None = strawberry.field(
        resolver=consents_of,
        description="The apps this citizen allowed to see their data (their own token only)",
    )

    # The disclosure log read for this citizen (hub.audit's AccessRead: a page of
    # rows and, when asked, the summary), or the error reading it.
    access_log_found: strawberry.Private[Any] = None

    def _access_read(self) -> Any:
        found = self.access_log_found
        if isinstance(found, Exception):
            raise found
        return found

    @strawberry.field(
        description="Who saw this citizen's data, newest first (at most 200 rows; older ones"
        " through `before` or accessHistory): for the citizen's own token, or with the"
        " scope audit:read"
    )
    def access_log(
        self,
        last: int = audit_types.ACCESS_LOG_DEFAULT,
        before: Annotated[
            str | None,
            strawberry.argument(description="a Disclosure.cursor: only rows older than it"),
        ] = None,
    ) -> list[Annotated[Disclosure, strawberry.lazy("schema.audit.types")]] | None:
        found = self._access_read()
        return None if found is None else audit_types.page_of(found, last)

    @strawberry.field(
        description="Every row of who saw this citizen's data, a page at a time, newest"
        " first: pass nextCursor as `before` while hasMore (same access as accessLog)"
    )
    def access_history(
        self,
        last: int = audit_types.ACCESS_LOG_DEFAULT,
        before: Annotated[
            str | None,
            strawberry.argument(description="an AccessHistory.nextCursor or Disclosure.cursor"),
        ] = None,
    ) -> Annotated[AccessHistory, strawberry.lazy("schema.audit.types")] | None:
        found = self._access_read()
        return None if found is None else audit_types.history_of(found, last)

    @strawberry.field(
        description="Every disclosure of this citizen's data, one line per client and"
        " purpose with how many and when first and last, latest first (same access as"
        " accessLog)"
    )
    def access_summary(
        self,
    ) -> list[Annotated[AccessSummaryLine, strawberry.lazy("schema.audit.types")]] | None:
        found = self._access_read()
        return None if found is None else audit_types.summary_of(found)

    @classmethod
    def from_profile(cls, profile: records.Profile, found: dict[str, Any]) -> Citizen:
        """The citizen's profile and, by GraphQL field name, what each selected source found."""
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
            deceased=profile.died_on is not None,
            died_on=profile.died_on,
            family=found.get("family"),
            school_admissions=found.get("schoolAdmissions"),
            civil_service_applications=found.get("civilServiceApplications"),
            employment=found.get("employment"),
            assets_held=found.get("assetsHeld"),
            procurement_roles=found.get("procurementRoles"),
            district_requests=found.get("districtRequests"),
            queue_tickets=found.get("queueTickets"),
            identifiers=found.get("identifiers"),
            access_log_found=found.get("accessLog"),
        )


@strawberry.type(description="A member of a family card, with their relationship to the head.")
class FamilyMember:
    id: strawberry.ID = strawberry.field(
        description="the member's opaque id (the same as their Citizen.id): tells relatives"
        " apart where their NIKs are masked, and names them in forCitizen"
    )
    relationship: records.FamilyRelationship = strawberry.field(description="status hubungan")
    citizen: Citizen | None


@strawberry.type(description="Kartu Keluarga (KK): the family card and its members, from SIAK.")
class Family:
    family_card_number: str = strawberry.field(description="nomor KK (16 digits)")
    head: Citizen | None = strawberry.field(description="kepala keluarga")
    members: list[FamilyMember] = strawberry.field(description="anggota keluarga, in card order")
