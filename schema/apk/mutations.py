"""APK's writes in the graph: submit a district service request."""

from __future__ import annotations

import strawberry

from connectors.apk.records import Attachment
from schema.apk.types import DistrictRequest
from schema.context import Info


@strawberry.input(description="one answer of the request's form, e.g. purpose")
class DetailInput:
    name: str = strawberry.field(description="the question, as districtServiceTypes lists it")
    value: str


@strawberry.input(description="a file sent with the request (the file itself goes elsewhere)")
class AttachmentInput:
    name: str
    size_bytes: int


@strawberry.input(description="A request to a kecamatan office (permohonan layanan kecamatan)")
class SubmitDistrictRequestInput:
    kecamatan: str = strawberry.field(description="kode kecamatan, 01–13")
    service_type: str = strawberry.field(description="kode layanan, from districtServiceTypes")
    details: list[DetailInput] = strawberry.field(description="the form's answers")
    attachments: list[AttachmentInput] = strawberry.field(default_factory=list)
    phone: str | None = strawberry.field(default=None, description="nomor HP for updates")
    for_citizen: strawberry.ID | None = strawberry.field(
        default=None,
        description="whom the request is for (a Citizen.id / FamilyMember.id shown to this"
        " caller); left out, the caller itself",
    )
    idempotency_key: str = strawberry.field(
        description="a new key for each new request: the same key again returns the first"
    )


async def submit_district_request(info: Info, input: SubmitDistrictRequestInput) -> DistrictRequest:
    return await info.context.commands.submit_request(  # type: ignore[return-value]
        str(info.path.key),
        kecamatan=input.kecamatan,
        service_type=input.service_type,
        details={d.name: d.value for d in input.details},
        attachments=[Attachment(a.name, a.size_bytes) for a in input.attachments],
        phone=input.phone,
        idempotency_key=input.idempotency_key,
    )
