"""APK writes: a request to a kecamatan office filed the way the product's online form does.

A request is one ``permohonan`` row numbered ``APK/<month>/<year>/<serial>`` (the
serial runs per month across the city's 13 offices, as the product numbers them)
and the first step of its history (``riwayat_status``: submitted through the
application), written in one transaction. The product's schema is written as it
is; the idempotency keys live in the hub's own database
(:class:`connectors.idempotency.IdempotencyStore`, whose docstring gives the order that
keeps a retry from filing a request twice).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING

from connectors.apk.details import DETAILS, TEXT_LENGTH, Answer, questions
from connectors.apk.reads import requests_by_number
from connectors.apk.records import DistrictRequest, RequestStatus, StatusChange, SubmitRequest
from connectors.base import WriteRefused, insert_next_id
from connectors.clock import WIB, local, wib_now
from connectors.idempotency import claim_or_recall
from identity.nik import NIK, InvalidNIK
from identity.phone import InvalidPhone, Phone
from identity.regions import KECAMATAN

if TYPE_CHECKING:
    from connectors.base import SourceDB, Transaction
    from connectors.idempotency import IdempotencyStore

SCOPE = "apk.permohonan"  # the idempotency store's scope for requests
NAME_LENGTH = 100  # permohonan.nama_pemohon
KEY_LENGTH = 200
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 5 * 2**20
MAX_TOTAL_BYTES = 20 * 2**20
FILE_TYPES = frozenset({"pdf", "jpg", "jpeg", "png"})
FILE_NAME_LENGTH = 100
# How the product words the first step of a request made online (see seed.py).
SUBMITTED_ONLINE = "Diajukan melalui aplikasi"
# First key of the two-key advisory locks the hub takes in APK ("apk").
LOCK_NAMESPACE = 0x61706B
ID_ATTEMPTS = 50
_UNSAFE_NAME = re.compile(r"[/\\\x00-\x1f]")


class RequestRefused(WriteRefused):
    """:func:`submit_request` refused the request; no row was written.

    Fields and rules: ``kecamatan`` unknown_kecamatan; ``service`` unknown_service;
    ``nik`` a NIK rule (``length``, ``region``, …); ``name`` required, too_long;
    ``phone`` a phone rule; ``details.<key>`` required, unknown_detail, too_long,
    not_a_number, not_a_date; ``attachments`` too_many, too_large;
    ``attachments[<i>]`` name, file_type, too_large, empty; ``idempotency_key``
    length, idempotency_key_reused.
    """


_LOCK = "SELECT pg_advisory_xact_lock($1, hashtext($2))"
_SERVICE = "SELECT nama FROM jenis_layanan WHERE kode = $1"
_OWN = """
SELECT nomor_permohonan FROM permohonan
 WHERE nomor_permohonan = $1 AND regexp_replace(nik_pemohon, '[^0-9]', '', 'g') = $2
   AND kode_layanan = $3 AND kode_kecamatan = $4
"""
# The id is max + 1 (no sequence in the legacy schema) and the serial the month's
# highest + 1. Hub writers of one month queue on the advisory lock; a writer that
# knows nothing of it (the product's own front desk) taking the same id or number
# first makes the insert skip, and insert_next_id tries again with the next ones.
_INSERT = """
INSERT INTO permohonan (id, nomor_permohonan, kode_layanan, kode_kecamatan, nik_pemohon,
                        nama_pemohon, no_hp, keperluan, tgl_pengajuan, status_terakhir)
SELECT (SELECT coalesce(max(id), 0) + 1 FROM permohonan),
       $1 || lpad(berikut.n::text, greatest(6, length(berikut.n::text)), '0'),
       $2, $3, $4, $5, $6, $7, $8, 'DIAJUKAN'
  FROM (SELECT coalesce(max(substring(nomor_permohonan from '([0-9]+)$')::int), 0) + 1 AS n
          FROM permohonan WHERE nomor_permohonan LIKE $1 || '%') AS berikut
ON CONFLICT DO NOTHING
RETURNING id, nomor_permohonan
"""
_HISTORY = """
INSERT INTO riwayat_status (id, permohonan_id, status, waktu, catatan, petugas)
SELECT coalesce(max(id), 0) + 1, $1, 'DIAJUKAN', $2, $3, NULL FROM riwayat_status
ON CONFLICT (id) DO NOTHING
RETURNING id
"""


async def submit_request(
    db: SourceDB,
    request: SubmitRequest,
    *,
    store: IdempotencyStore,
    now: Callable[[], datetime] = wib_now,
) -> DistrictRequest:
    """File a request as submitted online, with the first step of its history, and return
    it; or raise :class:`RequestRefused` having written nothing.

    The number is the product's, ``APK/MM/YYYY/NNNNNN``, the serial following the
    month's last (WIB). ``now`` is the clock. The same ``idempotency_key`` again
    answers with the request it first filed; under another ``fingerprint`` it is
    refused (``idempotency_key_reused``). Database failures propagate.
    """
    nik, name, phone = _applicant(request)
    _check_attachments(request)
    # Before the key is claimed, so a corrected request may use the same key; the
    # answers to a code the table does not list are checked once the product knows it.
    purpose = (
        _check_details(request.service_code, request.details)
        if request.service_code in DETAILS
        else None
    )
    filed = await claim_or_recall(
        store,
        request.idempotency_key,
        request.fingerprint,
        RequestRefused,
        "request",
        partial(requests_by_number, db),
    )
    if filed is not None:
        return filed
    moment = local(now())
    prefix = f"APK/{moment.month:02d}/{moment.year}/"
    async with db.transaction() as tx:
        await tx.execute(_LOCK, LOCK_NAMESPACE, prefix)
        # Under the lock: an attempt with the same key that got here first has committed.
        earlier = await store.get(request.idempotency_key)
        own = (
            await tx.fetchrow(
                _OWN, earlier.record, nik, request.service_code, request.kecamatan_code
            )
            if earlier is not None and earlier.record is not None
            else None
        )
        service_name: str | None = None
        if own is not None:
            number: str = own["nomor_permohonan"]
        else:
            service = await tx.fetchrow(_SERVICE, request.service_code)
            if service is None:
                raise RequestRefused(
                    "service",
                    "unknown_service",
                    f"the kecamatan offices offer no service {request.service_code!r}",
                )
            service_name = service["nama"]
            if purpose is None:
                purpose = _check_details(request.service_code, request.details)
            number = await _file(tx, prefix, request, nik, name, phone, purpose, moment)
            # Before the commit: a crash after it leaves the key naming the request.
            await store.reserve(request.idempotency_key, number)
    await store.complete(request.idempotency_key, number)
    if service_name is None:  # filed by an earlier attempt under the same key
        return (await requests_by_number(db, [number]))[number]
    submitted = moment.replace(tzinfo=WIB)
    return DistrictRequest(
        number=number,
        nik=nik,
        service_code=request.service_code,
        service_name=service_name,
        kecamatan_code=request.kecamatan_code,
        kecamatan=KECAMATAN[request.kecamatan_code],
        purpose=purpose,
        phone=phone,
        submitted_at=submitted,
        status=RequestStatus.SUBMITTED,
        history=(StatusChange(RequestStatus.SUBMITTED, submitted, SUBMITTED_ONLINE),),
    )


async def _file(
    tx: Transaction,
    prefix: str,
    request: SubmitRequest,
    nik: str,
    name: str,
    phone: str | None,
    purpose: str,
    moment: datetime,
) -> str:
    """Insert the request and its first step; returns its number."""
    row = await insert_next_id(
        tx,
        "permohonan id or number",
        ID_ATTEMPTS,
        _INSERT,
        prefix,
        request.service_code,
        request.kecamatan_code,
        nik,
        name,
        phone,
        purpose,
        moment,
    )
    await insert_next_id(
        tx, "riwayat_status id", ID_ATTEMPTS, _HISTORY, row["id"], moment, SUBMITTED_ONLINE
    )
    number: str = row["nomor_permohonan"]
    return number


def _applicant(request: SubmitRequest) -> tuple[str, str, str | None]:
    """The clean NIK, name and phone, or the refusal of the first that is wrong."""
    if not 1 <= len(request.idempotency_key) <= KEY_LENGTH:
        raise RequestRefused(
            "idempotency_key", "length", f"an idempotency key has 1 to {KEY_LENGTH} characters"
        )
    if request.kecamatan_code not in KECAMATAN:
        raise RequestRefused(
            "kecamatan",
            "unknown_kecamatan",
            f"{request.kecamatan_code!r} is none of the 13 kecamatan codes (01 to 13)",
        )
    try:
        nik = str(NIK.parse(request.nik))
    except InvalidNIK as exc:
        raise RequestRefused("nik", exc.rule, str(exc)) from None
    name = " ".join(request.name.split())
    if not name:
        raise RequestRefused("name", "required", "the applicant's name is required")
    if len(name) > NAME_LENGTH:
        raise RequestRefused("name", "too_long", f"a name has at most {NAME_LENGTH} characters")
    phone = None
    if request.phone is not None and request.phone.strip():
        try:
            phone = str(Phone.parse(request.phone))
        except InvalidPhone as exc:
            raise RequestRefused("phone", exc.rule, str(exc)) from None
    return nik, name, phone


def _check_details(service_code: str, details: Mapping[str, str]) -> str:
    """Refuse answers the form of ``service_code`` would not take; returns the purpose."""
    asked = {q.key: q for q in questions(service_code)}
    for key in details:
        if key not in asked:
            raise RequestRefused(
                f"details.{key}",
                "unknown_detail",
                f"a {service_code} request asks no {key!r}; it asks {', '.join(asked)}",
            )
    for key, question in asked.items():
        value = (details.get(key) or "").strip()
        field = f"details.{key}"
        if not value:
            if question.required:
                raise RequestRefused(field, "required", f"a {service_code} request needs {key}")
            continue
        if len(value) > TEXT_LENGTH:
            raise RequestRefused(field, "too_long", f"{key} has at most {TEXT_LENGTH} characters")
        if question.answer is Answer.NUMBER and not (value.isascii() and value.isdigit()):
            raise RequestRefused(field, "not_a_number", f"{key} is a whole number, digits only")
        if question.answer is Answer.DATE:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise RequestRefused(
                    field, "not_a_date", f"{key} is a date written YYYY-MM-DD"
                ) from None
    return " ".join(details["purpose"].split())


def _check_attachments(request: SubmitRequest) -> None:
    files = request.attachments
    if len(files) > MAX_ATTACHMENTS:
        raise RequestRefused(
            "attachments", "too_many", f"at most {MAX_ATTACHMENTS} files, not {len(files)}"
        )
    for i, file in enumerate(files):
        field = f"attachments[{i}]"
        name = file.name.strip()
        suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if not name or len(name) > FILE_NAME_LENGTH or _UNSAFE_NAME.search(name):
            raise RequestRefused(
                field,
                "name",
                f"a file name has 1 to {FILE_NAME_LENGTH} characters, without / or \\",
            )
        if suffix not in FILE_TYPES:
            raise RequestRefused(
                field, "file_type", f"files are {', '.join(sorted(FILE_TYPES))}, not {name!r}"
            )
        if file.size_bytes <= 0:
            raise RequestRefused(field, "empty", f"{name!r} is empty")
        if file.size_bytes > MAX_ATTACHMENT_BYTES:
            raise RequestRefused(
                field, "too_large", f"{name!r} is over {MAX_ATTACHMENT_BYTES // 2**20} MiB"
            )
    if sum(f.size_bytes for f in files) > MAX_TOTAL_BYTES:
        raise RequestRefused(
            "attachments",
            "too_large",
            f"the files are over {MAX_TOTAL_BYTES // 2**20} MiB together",
        )
