"""Filing APK requests on a real PostgreSQL, as an applicant and the office would notice.

The writes run on a copy of the test city's APK database of their own, with the
idempotency keys in a hub database of their own.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime
from functools import partial

import pytest

from connectors.apk.reads import WIB, requests_by_number
from connectors.apk.records import Attachment, RequestStatus, SubmitRequest
from connectors.apk.writes import (
    MAX_ATTACHMENT_BYTES,
    SCOPE,
    SUBMITTED_ONLINE,
    RequestRefused,
    submit_request,
)
from connectors.base import Source, SourceDB
from connectors.city import City
from connectors.idempotency import request_fingerprint
from hub.idempotency import PgIdempotencyStore
from tests.conftest import ScratchDatabases
from tests.integration.conftest import migrated_hub, refused_writing_nothing, seeded_product

OCTOBER = datetime(2026, 10, 20, 9, 30, tzinfo=WIB)
SKU_DETAILS = {
    "purpose": "Pengajuan KUR bank",
    "business_name": "Warung Bu Sri",
    "business_kind": "Warung makan",
    "business_address": "Jl. Perintis Kemerdekaan No. 5, Babakan",
}


def clock(moment: datetime = OCTOBER) -> Callable[[], datetime]:
    return lambda: moment


@pytest.fixture(scope="module")
async def apk(
    test_databases: ScratchDatabases, admin_dsn: str, city: City
) -> AsyncIterator[SourceDB]:
    async with seeded_product(test_databases, admin_dsn, city, Source.APK, "writes_apk") as db:
        yield db


@pytest.fixture(scope="module")
async def store(
    test_databases: ScratchDatabases, admin_dsn: str
) -> AsyncIterator[PgIdempotencyStore]:
    async with migrated_hub(test_databases, admin_dsn, "writes_apk_hub") as hub:
        yield PgIdempotencyStore(hub, SCOPE)


def request(person: int, city: City, *, key: str | None = None, **changes: object) -> SubmitRequest:
    """A business letter (SKU) asked for by the test city's ``person``-th adult."""
    someone = city.adults()[person]
    base = SubmitRequest(
        kecamatan_code=someone.kecamatan,
        service_code="SKU",
        details=SKU_DETAILS,
        attachments=(Attachment("ktp.jpg", 350_000), Attachment("foto-usaha.png", 1_200_000)),
        nik=someone.nik,
        name=someone.name,
        phone=someone.phone,
        idempotency_key=key or secrets.token_hex(8),
        fingerprint="",
    )
    made = replace(base, **changes)  # type: ignore[arg-type]
    fingerprint = request_fingerprint(
        made.kecamatan_code,
        made.service_code,
        dict(made.details),
        [(a.name, a.size_bytes) for a in made.attachments],
        made.nik,
        made.name,
        made.phone,
    )
    return replace(made, fingerprint=fingerprint)


async def rows(db: SourceDB) -> tuple[int, int]:
    (row,) = await db.fetch(
        "SELECT (SELECT count(*) FROM permohonan) AS p, (SELECT count(*) FROM riwayat_status) AS r"
    )
    return row["p"], row["r"]


async def month_serials(db: SourceDB, prefix: str) -> list[int]:
    found = await db.fetch(
        "SELECT nomor_permohonan FROM permohonan WHERE nomor_permohonan LIKE $1 || '%'", prefix
    )
    return sorted(int(r["nomor_permohonan"].rsplit("/", 1)[1]) for r in found)


async def test_a_request_takes_the_next_number_of_the_month_and_starts_its_history(
    apk: SourceDB, store: PgIdempotencyStore, city: City
) -> None:
    seeded = await month_serials(apk, "APK/10/2026/")
    assert seeded == list(range(1, len(seeded) + 1))  # the product's own numbering
    filed = await submit_request(apk, request(0, city), store=store, now=clock())
    assert re.fullmatch(r"APK/\d\d/20\d\d/\d{6}", filed.number)
    assert filed.number == f"APK/10/2026/{len(seeded) + 1:06d}"
    assert filed.status is RequestStatus.SUBMITTED and filed.submitted_at == OCTOBER
    assert filed.service_name == "SURAT KETERANGAN USAHA" and filed.purpose == "Pengajuan KUR bank"
    # As the hub reads it back: the row and its first step, in the product's words.
    stored = (await requests_by_number(apk, [filed.number]))[filed.number]
    assert stored == filed
    assert [(h.status, h.at, h.note) for h in stored.history] == [
        (RequestStatus.SUBMITTED, OCTOBER, SUBMITTED_ONLINE)
    ]
    (row,) = await apk.fetch(
        "SELECT petugas, status_terakhir FROM permohonan p JOIN riwayat_status r"
        " ON r.permohonan_id = p.id WHERE nomor_permohonan = $1",
        filed.number,
    )
    assert row["petugas"] is None and row["status_terakhir"] == "DIAJUKAN"


async def test_a_new_month_starts_at_one(
    apk: SourceDB, store: PgIdempotencyStore, city: City
) -> None:
    december = datetime(2026, 12, 1, 0, 5, tzinfo=WIB)
    filed = await submit_request(apk, request(1, city), store=store, now=clock(december))
    assert filed.number == "APK/12/2026/000001"


async def test_fifty_simultaneous_requests_get_fifty_consecutive_numbers(
    apk: SourceDB, store: PgIdempotencyStore, city: City
) -> None:
    november = datetime(2026, 11, 2, 10, 0, tzinfo=WIB)
    before = await month_serials(apk, "APK/11/2026/")
    counts = await rows(apk)
    started = time.perf_counter()
    filed = await asyncio.gather(
        *(
            submit_request(apk, request(100 + n, city), store=store, now=clock(november))
            for n in range(50)
        )
    )
    elapsed = time.perf_counter() - started
    serials = sorted(int(f.number.rsplit("/", 1)[1]) for f in filed)
    assert serials == list(range(len(before) + 1, len(before) + 51))
    assert await rows(apk) == (counts[0] + 50, counts[1] + 50)
    print(f"\n50 simultaneous APK requests in {elapsed:.2f}s")


async def test_a_repeated_key_answers_with_the_first_request_and_files_nothing(
    apk: SourceDB, store: PgIdempotencyStore, city: City
) -> None:
    asked = request(200, city)
    first = await submit_request(apk, asked, store=store, now=clock())
    counts = await rows(apk)
    again = await asyncio.gather(
        *(submit_request(apk, asked, store=store, now=clock()) for _ in range(10))
    )
    assert all(a == first for a in again)
    assert await rows(apk) == counts


async def test_a_key_reused_for_another_request_is_refused_and_files_nothing(
    apk: SourceDB, store: PgIdempotencyStore, city: City
) -> None:
    first = request(201, city)
    await submit_request(apk, first, store=store, now=clock())
    other = request(
        201,
        city,
        key=first.idempotency_key,
        service_code="SKBM",
        details={"purpose": "Melamar pekerjaan"},
    )
    counts = await rows(apk)
    with pytest.raises(RequestRefused) as refused:
        await submit_request(apk, other, store=store, now=clock())
    assert (refused.value.field, refused.value.rule) == (
        "idempotency_key",
        "idempotency_key_reused",
    )
    assert await rows(apk) == counts


REFUSALS: list[tuple[dict[str, object], str, str]] = [
    ({"kecamatan_code": "14"}, "kecamatan", "unknown_kecamatan"),
    ({"service_code": "XYZ", "details": {"purpose": "x"}}, "service", "unknown_service"),
    ({"nik": "1234"}, "nik", "length"),
    ({"name": "   "}, "name", "required"),
    ({"phone": "+1 555 0100"}, "phone", "country"),
    ({"details": {**SKU_DETAILS, "business_name": ""}}, "details.business_name", "required"),
    ({"details": {"purpose": "KUR"}}, "details.business_name", "required"),
    ({"details": {**SKU_DETAILS, "colour": "red"}}, "details.colour", "unknown_detail"),
    ({"details": {**SKU_DETAILS, "purpose": "x" * 201}}, "details.purpose", "too_long"),
    (
        {
            "service_code": "SKAW",
            "details": {
                "purpose": "Pencairan tabungan almarhum",
                "deceased_name": "Sutrisno",
                "date_of_death": "31/12/2025",
                "heirs": "3",
            },
        },
        "details.date_of_death",
        "not_a_date",
    ),
    (
        {
            "service_code": "LEG",
            "details": {"purpose": "Legalisasi fotokopi KK", "document": "KK", "pages": "dua"},
        },
        "details.pages",
        "not_a_number",
    ),
    ({"attachments": [Attachment(f"f{i}.pdf", 10) for i in range(11)]}, "attachments", "too_many"),
    (
        {"attachments": [Attachment("scan.pdf", MAX_ATTACHMENT_BYTES + 1)]},
        "attachments[0]",
        "too_large",
    ),
    (
        {"attachments": [Attachment(f"f{i}.pdf", MAX_ATTACHMENT_BYTES) for i in range(5)]},
        "attachments",
        "too_large",
    ),
    ({"attachments": [Attachment("run.exe", 10)]}, "attachments[0]", "file_type"),
    ({"attachments": [Attachment("../../etc/passwd.pdf", 10)]}, "attachments[0]", "name"),
    ({"idempotency_key": "k" * 201}, "idempotency_key", "length"),
]


@pytest.mark.parametrize(("changes", "field", "rule"), REFUSALS)
async def test_a_bad_request_is_refused_naming_field_and_rule_and_files_nothing(
    apk: SourceDB,
    store: PgIdempotencyStore,
    city: City,
    changes: dict[str, object],
    field: str,
    rule: str,
) -> None:
    refused = await refused_writing_nothing(
        submit_request(apk, request(300, city, **changes), store=store, now=clock()),
        RequestRefused,
        partial(rows, apk),
    )
    assert (refused.field, refused.rule) == (field, rule)
