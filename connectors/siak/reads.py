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
from identity.findings import RegisterEntry
from identity.links import Registered
from identity.regions import KECAMATAN

if TYPE_CHECKING:
    import asyncpg

    from connectors.base import SourceDB

# A registered death (kematian, at most one per NIK) is read with the profile: one statement.
_PROFILES = """
SELECT p.nik, p.no_kk, p.nama_lengkap, p.tempat_lahir, p.tanggal_lahir, p.jenis_kelamin,
       p.agama, p.status_kawin, p.pekerjaan, p.pendidikan_akhir, p.alamat, p.no_rt, p.no_rw,
       p.kode_kecamatan, p.nama_kelurahan, m.tanggal_meninggal
  FROM penduduk p
  LEFT JOIN kematian m ON m.nik = p.nik
 WHERE p.nik = ANY($1::text[])
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

# A citizen's profile with its family card: the card's number is on the profile, so
# reading them apart costs two round trips where one statement will do.
_PROFILES_WITH_CARDS = f"""
WITH own AS ({_PROFILES})
SELECT own.*, k.nik_kepala, k.alamat AS kk_alamat, k.no_rt AS kk_no_rt, k.no_rw AS kk_no_rw,
       k.kode_kecamatan AS kk_kode_kecamatan, k.nama_kelurahan AS kk_nama_kelurahan,
       k.tgl_terbit, a.anggota, a.hubungan
  FROM own
  LEFT JOIN keluarga k ON k.no_kk = own.no_kk
  LEFT JOIN LATERAL (
        SELECT array_agg(m.nik ORDER BY m.no_urut) AS anggota,
               array_agg(m.status_hubungan ORDER BY m.no_urut) AS hubungan
          FROM anggota_keluarga m
         WHERE m.no_kk = k.no_kk
       ) a ON true
"""

_REGISTERED = "SELECT nik, nama_lengkap, no_kk FROM penduduk WHERE nik = ANY($1::text[])"

_CARD_MEMBERS = """
SELECT a.no_kk, array_agg(p.nik ORDER BY a.no_urut) AS nik,
       array_agg(p.nama_lengkap ORDER BY a.no_urut) AS nama
  FROM anggota_keluarga a
  JOIN penduduk p ON p.nik = a.nik
 WHERE a.no_kk = ANY($1::text[])
 GROUP BY a.no_kk
"""

# Digits 7-12 of a NIK are the birth date ddmmyy, 40 added to the day for women.
# Comparing them here keeps the check one scan of the register, whatever its size;
# identity.findings then says exactly what disagrees in the few rows it returns.
_ENCODING_MISMATCHES = """
SELECT nik, tanggal_lahir, jenis_kelamin
  FROM penduduk
 WHERE substr(nik, 7, 6) IS DISTINCT FROM
       lpad((extract(day FROM tanggal_lahir)::int
             + CASE WHEN jenis_kelamin = 'P' THEN 40 ELSE 0 END)::text, 2, '0')
       || to_char(tanggal_lahir, 'MMYY')
 ORDER BY nik
"""


async def profiles_by_nik(db: SourceDB, niks: Sequence[str]) -> dict[str, Profile]:
    """The register entry of each NIK found (NIKs are stored clean in the master)."""
    rows = await db.fetch(_PROFILES, list(niks))
    return {row["nik"]: _profile(row) for row in rows}


async def families_by_card(db: SourceDB, card_numbers: Sequence[str]) -> dict[str, FamilyRecord]:
    """Each family card found, with its members in card order."""
    rows = await db.fetch(_FAMILIES, list(card_numbers))
    return {row["no_kk"]: _family(row) for row in rows}


async def profiles_with_cards(
    db: SourceDB, niks: Sequence[str]
) -> tuple[dict[str, Profile], dict[str, FamilyRecord]]:
    """The register entry of each NIK found and each of their family cards found (as
    :func:`profiles_by_nik` and :func:`families_by_card` read them), in one statement."""
    rows = await db.fetch(_PROFILES_WITH_CARDS, list(niks))
    profiles = {row["nik"]: _profile(row) for row in rows}
    cards = {row["no_kk"]: _family(row, "kk_") for row in rows if row["anggota"] is not None}
    return profiles, cards


async def registered(db: SourceDB, niks: Sequence[str]) -> dict[str, Registered]:
    """The name and family card of each NIK the register knows (absent: not a citizen)."""
    rows = await db.fetch(_REGISTERED, list(niks))
    return {row["nik"]: Registered(row["nama_lengkap"], row["no_kk"]) for row in rows}


async def card_members(
    db: SourceDB, card_numbers: Sequence[str]
) -> dict[str, tuple[tuple[str, str], ...]]:
    """(NIK, name) of every member of each family card found, in card order."""
    rows = await db.fetch(_CARD_MEMBERS, list(card_numbers))
    return {row["no_kk"]: tuple(zip(row["nik"], row["nama"], strict=True)) for row in rows}


async def encoding_mismatches(db: SourceDB) -> list[RegisterEntry]:
    """Register entries whose NIK does not encode their recorded birth date and sex."""
    return [
        RegisterEntry(row["nik"], row["tanggal_lahir"], "F" if row["jenis_kelamin"] == "P" else "M")
        for row in await db.fetch(_ENCODING_MISMATCHES)
    ]


def _address(row: asyncpg.Record, prefix: str = "") -> Address:
    code = row[f"{prefix}kode_kecamatan"]
    return Address(
        street=row[f"{prefix}alamat"],
        rt=row[f"{prefix}no_rt"],
        rw=row[f"{prefix}no_rw"],
        kelurahan=row[f"{prefix}nama_kelurahan"],
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
        died_on=row["tanggal_meninggal"],
    )


def _family(row: asyncpg.Record, prefix: str = "") -> FamilyRecord:
    """A card's record; ``prefix``: of its address columns, read beside a profile's."""
    members = tuple(
        FamilyMemberRecord(nik=nik, relationship=FamilyRelationship(rel))
        for nik, rel in zip(row["anggota"], row["hubungan"], strict=True)
    )
    return FamilyRecord(
        family_card_number=row["no_kk"],
        head_nik=row["nik_kepala"],
        address=_address(row, prefix),
        issued=row["tgl_terbit"],
        members=members,
    )
