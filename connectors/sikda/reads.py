"""SIKDa batch reads: one statement per call, whatever the number of keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from connectors.base import digit_keys
from connectors.sikda import SOURCE
from connectors.sikda.records import (
    CivilServant,
    EmploymentStatus,
    PositionHistoryEntry,
    PositionType,
    Rank,
    RankHistoryEntry,
)
from identity.kinds import IdentifierKind
from identity.phone import canonical_phone
from identity.sightings import CarriesNIK, Sighting, held, sex_of

if TYPE_CHECKING:
    import asyncpg

    from connectors.base import SourceDB

# BKPSDM staff typed the NIK as printed on the KTP, so rows are matched on its
# digits only; the expression is the one pegawai_nik_bersih_idx is built on.
_CLEAN_NIK = "regexp_replace(p.nik, '[^0-9]', '', 'g')"

# The histories come back as arrays of anonymous rows, each gathered through the
# histories' primary keys (nip first), so a batch stays one statement. An operation
# that selects neither history reads the same rows without them (two subqueries
# per servant fewer).
_HISTORIES = """
       ARRAY(SELECT ROW(r.golongan, r.tmt_golongan, r.nomor_sk)
               FROM riwayat_pangkat r WHERE r.nip = p.nip
              ORDER BY r.tmt_golongan) AS pangkat,
       ARRAY(SELECT ROW(j.jabatan, j.jenis_jabatan, ju.nama_unit, j.tmt_jabatan)
               FROM riwayat_jabatan j JOIN unit_kerja ju ON ju.kode_unit = j.kode_unit
              WHERE j.nip = p.nip
              ORDER BY j.urutan) AS jabatan_lalu"""
_NO_HISTORIES = """
       NULL AS pangkat, NULL AS jabatan_lalu"""
_SERVANTS = f"""
SELECT p.nip, {_CLEAN_NIK} AS nik_bersih, p.nama, p.gelar_depan, p.gelar_belakang,
       p.status_pegawai, p.golongan, p.tmt_golongan, p.jabatan, p.jenis_jabatan,
       p.kode_unit, u.nama_unit, p.tmt_jabatan, p.tmt_cpns, p.tmt_pns, p.tmt_pppk, p.no_hp,
       {{histories}}
  FROM pegawai p
  JOIN unit_kerja u ON u.kode_unit = p.kode_unit
 WHERE {{where}}
"""
_BY_NIK = {
    wanted: _SERVANTS.format(
        where=f"{_CLEAN_NIK} = ANY($1::text[])",
        histories=(_HISTORIES if wanted else _NO_HISTORIES).strip(),
    )
    for wanted in (True, False)
}
_BY_NIP = _SERVANTS.format(where="p.nip = ANY($1::text[])", histories=_HISTORIES.strip())
_REFERENCED = f"SELECT {_CLEAN_NIK} AS nik_bersih FROM pegawai p ORDER BY p.nip"
_SIGHTINGS = """
SELECT nip, nik, nama, no_hp, tanggal_lahir, jenis_kelamin FROM pegawai ORDER BY nip
"""


async def civil_servants_by_nik(
    db: SourceDB, niks: Sequence[str], *, histories: bool = True
) -> dict[str, CivilServant]:
    """The civil servant each clean NIK belongs to, keyed by clean NIK; absent if none.

    ``histories=False``: rank and position histories are not read (left empty).
    """
    rows = await db.fetch(_BY_NIK[histories], digit_keys(niks))
    return {row["nik_bersih"]: _servant(row) for row in rows}


async def civil_servants_by_nip(db: SourceDB, nips: Sequence[str]) -> dict[str, CivilServant]:
    """The civil servant of each NIP (separators allowed), keyed by the 18-digit NIP."""
    rows = await db.fetch(_BY_NIP, digit_keys(nips))
    return {row["nip"]: _servant(row) for row in rows}


async def referenced_niks(db: SourceDB) -> list[str]:
    """The clean NIK of every civil servant (one per row, out-of-city ones included)."""
    rows = await db.fetch(_REFERENCED)
    return [row["nik_bersih"] for row in rows]


async def sightings(db: SourceDB) -> list[Sighting]:
    """Every civil servant for the crosswalk, in one statement: NIP and phone, by NIK.

    SIKDa is where a NIP meets its NIK: SIPBD's holders are linked through these. The
    birth date and sex on the staff record are weighed against SIAK's.
    """
    return [
        Sighting(
            SOURCE,
            "pegawai:" + row["nip"],
            CarriesNIK(row["nik"]),
            (*held(IdentifierKind.NIP, row["nip"]), *held(IdentifierKind.PHONE, row["no_hp"])),
            row["nama"],
            row["tanggal_lahir"],
            sex_of(row["jenis_kelamin"]),
        )
        for row in await db.fetch(_SIGHTINGS)
    ]


def _servant(row: asyncpg.Record) -> CivilServant:
    return CivilServant(
        nip=row["nip"],
        nik=row["nik_bersih"],
        name=row["nama"],
        title_before=row["gelar_depan"],
        title_after=row["gelar_belakang"],
        status=EmploymentStatus(row["status_pegawai"]),
        rank=Rank(row["golongan"]),
        rank_since=row["tmt_golongan"],
        position=row["jabatan"],
        position_type=PositionType(row["jenis_jabatan"]),
        position_since=row["tmt_jabatan"],
        unit=row["nama_unit"],
        unit_code=row["kode_unit"],
        cpns_start=row["tmt_cpns"],
        pns_start=row["tmt_pns"],
        pppk_start=row["tmt_pppk"],
        phone=canonical_phone(row["no_hp"]),
        rank_history=tuple(
            RankHistoryEntry(rank=Rank(golongan), since=since, decree_number=decree)
            for golongan, since, decree in row["pangkat"] or ()
        ),
        position_history=tuple(
            PositionHistoryEntry(
                position=title, position_type=PositionType(kind), unit=unit, since=since
            )
            for title, kind, unit, since in row["jabatan_lalu"] or ()
        ),
    )
