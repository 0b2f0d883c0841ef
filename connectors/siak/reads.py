"""SIAK batch reads: one statement per call, whatever the number of keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from connectors.siak.records import (
    Address,
    FamilyMemberRecord,
    FamilyRecord,
    FamilyRelationship,
    MaritalStatus,
    Profile,
    Sex,
)
from identity.regions import KECAMATAN

if TYPE_CHECKING:
    import asyncpg

    from connectors.base import SourceDB

_PROFILES = """
SELECT nik, no_kk, nama_lengkap, tempat_lahir, tanggal_lahir, jenis_kelamin, agama,
       status_kawin, pekerjaan, pendidikan_akhir, alamat, no_rt, no_rw,
       kode_kecamatan, nama_kelurahan
  FROM penduduk
 WHERE nik = ANY($1::text[])
"""

_FAMILIES = """
SELECT k.no_kk, k.nik_kepala, k.alamat, k.no_rt, k.no_rw, k.kode_kecamatan,
       k.nama_kelurahan, k.tgl_terbit,
       array_agg(a.nik ORDER BY a.no_urut) AS anggota,
       array_agg(a.status_hubungan ORDER BY a.no_urut) AS hubungan
  FROM keluarga k
  JOIN anggota_keluarga a ON a.no_kk = k.no_kk
 WHERE k.no_kk = ANY($1::text[])
 GROUP BY k.no_kk
"""


async def profiles_by_nik(db: SourceDB, niks: Sequence[str]) -> dict[str, Profile]:
    """The register entry of each NIK found (NIKs are stored clean in the master)."""
    rows = await db.fetch(_PROFILES, list(niks))
    return {row["nik"]: _profile(row) for row in rows}


async def families_by_card(db: SourceDB, card_numbers: Sequence[str]) -> dict[str, FamilyRecord]:
    """Each family card found, with its members in card order."""
    rows = await db.fetch(_FAMILIES, list(card_numbers))
    return {row["no_kk"]: _family(row) for row in rows}


def _address(row: asyncpg.Record) -> Address:
    code = row["kode_kecamatan"]
    return Address(
        street=row["alamat"],
        rt=row["no_rt"],
        rw=row["no_rw"],
        kelurahan=row["nama_kelurahan"],
        kecamatan_code=code,
        kecamatan=KECAMATAN.get(code) if code else None,
    )


def _profile(row: asyncpg.Record) -> Profile:
    marital = row["status_kawin"]
    return Profile(
        nik=row["nik"],
        family_card_number=row["no_kk"],
        full_name=row["nama_lengkap"],
        birth_place=row["tempat_lahir"],
        birth_date=row["tanggal_lahir"],
        sex=Sex(row["jenis_kelamin"]),
        religion=row["agama"],
        marital_status=MaritalStatus(marital) if marital else None,
        occupation=row["pekerjaan"],
        education=row["pendidikan_akhir"],
        address=_address(row),
    )


def _family(row: asyncpg.Record) -> FamilyRecord:
    members = tuple(
        FamilyMemberRecord(nik=nik, relationship=FamilyRelationship(rel))
        for nik, rel in zip(row["anggota"], row["hubungan"], strict=True)
    )
    return FamilyRecord(
        family_card_number=row["no_kk"],
        head_nik=row["nik_kepala"],
        address=_address(row),
        issued=row["tgl_terbit"],
        members=members,
    )
