"""CPNS batch reads: one statement per call, whatever the number of keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from connectors.base import digit_keys, group, unique_keys
from connectors.cpns import SOURCE
from connectors.cpns.records import (
    AdministrationResult,
    CivilServiceApplication,
    CivilServiceOutcome,
    SkdScores,
)
from identity.kinds import IdentifierKind
from identity.phone import canonical_phone
from identity.sightings import CarriesNIK, Sighting, held, sex_of

if TYPE_CHECKING:
    import asyncpg

    from connectors.base import SourceDB

# Applicants typed their NIK themselves, so rows are matched on its digits only;
# the expression is the one pelamar_nik_bersih_idx is built on.
_CLEAN_NIK = "regexp_replace(p.nik, '[^0-9]', '', 'g')"

_APPLICATION_ROWS = f"""
SELECT {_CLEAN_NIK} AS nik_bersih, p.nomor_peserta, p.nama, p.tahun, p.tgl_daftar,
       p.no_hp, p.email, f.kode_formasi, f.jabatan, f.pendidikan, i.nama_instansi,
       h.status_administrasi, h.skd_twk, h.skd_tiu, h.skd_tkp, h.skd_total, h.lulus_skd,
       h.nilai_skb, h.nilai_akhir, h.status_akhir
  FROM pelamar p
  JOIN formasi f ON f.kode_formasi = p.kode_formasi
  JOIN instansi i ON i.kode_instansi = f.kode_instansi
  LEFT JOIN hasil_seleksi h ON h.nomor_peserta = p.nomor_peserta
 WHERE {{where}}
 ORDER BY p.tahun DESC, p.nomor_peserta
"""
_APPLICATIONS = _APPLICATION_ROWS.format(where=f"{_CLEAN_NIK} = ANY($1::text[])")
_BY_NUMBER = _APPLICATION_ROWS.format(where="p.nomor_peserta = ANY($1::text[])")
_REFERENCED = f"SELECT {_CLEAN_NIK} AS nik_bersih FROM pelamar p ORDER BY p.nomor_peserta"
_SIGHTINGS = """
SELECT nomor_peserta, nik, nama, no_hp, tanggal_lahir, jenis_kelamin
  FROM pelamar ORDER BY nomor_peserta
"""


async def applications_by_nik(
    db: SourceDB, niks: Sequence[str]
) -> dict[str, list[CivilServiceApplication]]:
    """Each applicant's applications, newest round first, keyed by clean NIK.

    NIKs that never applied are absent from the result.
    """
    rows = await db.fetch(_APPLICATIONS, digit_keys(niks))
    return group((_application(row) for row in rows), "nik")


async def applications_by_number(
    db: SourceDB, numbers: Sequence[str]
) -> dict[str, CivilServiceApplication]:
    """Each application found by its registration number (nomor peserta).

    How an application a steward tied to another NIK than the one typed is read.
    """
    rows = await db.fetch(_BY_NUMBER, unique_keys(numbers))
    return {row["nomor_peserta"]: _application(row) for row in rows}


async def referenced_niks(db: SourceDB) -> list[str]:
    """The clean NIK of every application (one per row, out-of-city applicants included)."""
    rows = await db.fetch(_REFERENCED)
    return [row["nik_bersih"] for row in rows]


async def sightings(db: SourceDB) -> list[Sighting]:
    """Every application for the crosswalk, in one statement: its number and phone, by NIK
    (with the birth date and sex the applicant gave, weighed against SIAK's)."""
    return [
        Sighting(
            SOURCE,
            "pelamar:" + row["nomor_peserta"],
            CarriesNIK(row["nik"]),
            (
                *held(IdentifierKind.CPNS_REGISTRATION, row["nomor_peserta"]),
                *held(IdentifierKind.PHONE, row["no_hp"]),
            ),
            row["nama"],
            row["tanggal_lahir"],
            sex_of(row["jenis_kelamin"]),
        )
        for row in await db.fetch(_SIGHTINGS)
    ]


def _application(row: asyncpg.Record) -> CivilServiceApplication:
    admin, status = row["status_administrasi"], row["status_akhir"]
    skd = None
    if row["skd_total"] is not None:
        skd = SkdScores(
            twk=row["skd_twk"],
            tiu=row["skd_tiu"],
            tkp=row["skd_tkp"],
            total=row["skd_total"],
            passed=row["lulus_skd"],
        )
    return CivilServiceApplication(
        registration_number=row["nomor_peserta"],
        nik=row["nik_bersih"],
        full_name=row["nama"],
        year=row["tahun"],
        registered_on=row["tgl_daftar"],
        formation_code=row["kode_formasi"],
        position=row["jabatan"],
        required_education=row["pendidikan"],
        agency=row["nama_instansi"],
        administration=AdministrationResult(admin) if admin else None,
        skd=skd,
        skb_score=row["nilai_skb"],
        final_score=row["nilai_akhir"],
        final_status=CivilServiceOutcome(status) if status else None,
        phone=canonical_phone(row["no_hp"]),
        email=row["email"],
    )
