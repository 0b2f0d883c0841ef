"""PSB batch reads: one statement per call, whatever the number of keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from connectors.base import digit_keys, group, unique_keys
from connectors.psb import SOURCE
from connectors.psb.records import (
    AdmissionRoute,
    School,
    SchoolAdmission,
    SchoolChoice,
    SchoolLevel,
    SelectionStatus,
)
from identity.kinds import IdentifierKind
from identity.sightings import CarriesNIK, Sighting, ThroughFamilyCard, held

if TYPE_CHECKING:
    import asyncpg

    from connectors.base import SourceDB

# Parents typed the NIK themselves, so rows are matched on its digits only; the
# expression is the one pendaftar_nik_bersih_idx is built on.
_CLEAN_NIK = "regexp_replace(p.nik, '[^0-9]', '', 'g')"

# The choices are gathered per applicant (LATERAL) so each costs an index probe on
# pilihan_sekolah's key rather than a scan of every choice in the city. An operation
# that selects neither the choices nor the accepted school reads no choice at all.
_CHOICES = """
  LEFT JOIN LATERAL (
        SELECT array_agg(c.urutan ORDER BY c.urutan) AS urutan,
               array_agg(c.npsn ORDER BY c.urutan) AS npsn,
               array_agg(s.nama_sekolah ORDER BY c.urutan) AS nama_sekolah,
               array_agg(s.jenjang ORDER BY c.urutan) AS jenjang_sekolah,
               array_agg(s.kecamatan ORDER BY c.urutan) AS kecamatan,
               array_agg(c.status ORDER BY c.urutan) AS status
          FROM pilihan_sekolah c
          JOIN sekolah s ON s.npsn = c.npsn
         WHERE c.pendaftar_id = p.id
       ) k ON true"""
_NO_CHOICES = """
  CROSS JOIN (
        SELECT NULL::int[] AS urutan, NULL::text[] AS npsn, NULL::text[] AS nama_sekolah,
               NULL::text[] AS jenjang_sekolah, NULL::text[] AS kecamatan,
               NULL::text[] AS status
       ) k"""
_ADMISSIONS = f"""
SELECT {_CLEAN_NIK} AS nik_bersih, p.no_pendaftaran, p.tahun_ajaran, p.tgl_daftar,
       p.jenjang, p.jalur, p.nisn, p.no_kk, p.jarak_meter, p.nilai, p.status_seleksi,
       k.urutan, k.npsn, k.nama_sekolah, k.jenjang_sekolah, k.kecamatan, k.status
  FROM pendaftar p{{choices}}
 WHERE {{where}}
 ORDER BY p.tahun_ajaran DESC, p.id
"""
_BY_NIK = {
    wanted: _ADMISSIONS.format(
        where=f"{_CLEAN_NIK} = ANY($1::text[])", choices=_CHOICES if wanted else _NO_CHOICES
    )
    for wanted in (True, False)
}
_BY_FAMILY_CARD = _ADMISSIONS.format(where="p.no_kk = ANY($1::text[])", choices=_CHOICES)
_BY_NUMBER = _ADMISSIONS.format(where="p.no_pendaftaran = ANY($1::text[])", choices=_CHOICES)
_REFERENCED = f"SELECT {_CLEAN_NIK} AS nik_bersih FROM pendaftar p ORDER BY p.id"
_SIGHTINGS = """
SELECT no_pendaftaran, nik, nama, nisn, no_kk, nama_ortu, no_hp_ortu, tanggal_lahir
  FROM pendaftar ORDER BY id
"""


async def admissions_by_nik(
    db: SourceDB, niks: Sequence[str], *, choices: bool = True
) -> dict[str, list[SchoolAdmission]]:
    """Each applicant's applications, newest admission year first, keyed by clean NIK.

    NIKs with no application are absent from the result. ``choices=False``: the school
    choices are not read (no choices, no accepted school).
    """
    rows = await db.fetch(_BY_NIK[choices], digit_keys(niks))
    return group((_admission(row) for row in rows), "nik")


async def admissions_by_family_card(
    db: SourceDB, card_numbers: Sequence[str]
) -> dict[str, list[SchoolAdmission]]:
    """The applications of every child registered on each family card (KK), newest first.

    This is how a parent sees their children's admissions.
    """
    rows = await db.fetch(_BY_FAMILY_CARD, unique_keys(card_numbers))
    return group((_admission(row) for row in rows), "family_card_number")


async def admissions_by_number(db: SourceDB, numbers: Sequence[str]) -> dict[str, SchoolAdmission]:
    """Each application found by its registration number (``SD-2024-000003``).

    How an application a steward tied to another NIK than the one typed is read.
    """
    rows = await db.fetch(_BY_NUMBER, unique_keys(numbers))
    return {row["no_pendaftaran"]: _admission(row) for row in rows}


async def referenced_niks(db: SourceDB) -> list[str]:
    """The clean NIK of every application (one per row, out-of-city applicants included)."""
    rows = await db.fetch(_REFERENCED)
    return [row["nik_bersih"] for row in rows]


async def sightings(db: SourceDB) -> list[Sighting]:
    """Every application for the crosswalk, in one statement.

    The applicant's NIK ties the registration number, NISN and family card to them;
    the phone on the form is a parent's, named on the same family card. The birth
    date on the form is weighed against SIAK's (a parent's NIK in the child's field).
    """
    out: list[Sighting] = []
    for row in await db.fetch(_SIGHTINGS):
        record = "pendaftar:" + row["no_pendaftaran"]
        holds = (
            *held(IdentifierKind.PSB_REGISTRATION, row["no_pendaftaran"]),
            *held(IdentifierKind.NISN, row["nisn"]),
            *held(IdentifierKind.KK, row["no_kk"]),
        )
        applicant = CarriesNIK(row["nik"])
        out.append(Sighting(SOURCE, record, applicant, holds, row["nama"], row["tanggal_lahir"]))
        kk, parent, phone = row["no_kk"], row["nama_ortu"], row["no_hp_ortu"]
        if kk and parent and phone:
            parent_holder = ThroughFamilyCard(kk, parent)
            out.append(
                Sighting(SOURCE, record, parent_holder, held(IdentifierKind.PHONE, phone), parent)
            )
    return out


def _admission(row: asyncpg.Record) -> SchoolAdmission:
    choices = tuple(
        SchoolChoice(
            rank=rank,
            school=School(npsn=npsn, name=name, level=SchoolLevel(level), kecamatan=kecamatan),
            status=SelectionStatus(status) if status else None,
        )
        for rank, npsn, name, level, kecamatan, status in zip(
            row["urutan"] or (),
            row["npsn"] or (),
            row["nama_sekolah"] or (),
            row["jenjang_sekolah"] or (),
            row["kecamatan"] or (),
            row["status"] or (),
            strict=True,
        )
    )
    accepted = next((c.school for c in choices if c.status is SelectionStatus.ACCEPTED), None)
    score = row["nilai"]
    return SchoolAdmission(
        nik=row["nik_bersih"],
        registration_number=row["no_pendaftaran"],
        admission_year=int(row["tahun_ajaran"][:4]),
        academic_year=row["tahun_ajaran"],
        registered_on=row["tgl_daftar"],
        level=SchoolLevel(row["jenjang"]),
        route=AdmissionRoute(row["jalur"]),
        nisn=row["nisn"],
        family_card_number=row["no_kk"],
        distance_metres=row["jarak_meter"],
        score=float(score) if score is not None else None,
        status=SelectionStatus(row["status_seleksi"]),
        choices=choices,
        accepted_school=accepted,
    )
