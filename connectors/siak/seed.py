"""SIAK's synthetic rows: the register itself, copied from the city."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.base import SeedRows, Source, TableRows

if TYPE_CHECKING:
    from connectors.city import City


def seed(city: City, earlier: dict[Source, SeedRows]) -> SeedRows:
    penduduk = TableRows(
        (
            "nik",
            "no_kk",
            "nama_lengkap",
            "tempat_lahir",
            "tanggal_lahir",
            "jenis_kelamin",
            "agama",
            "status_kawin",
            "pekerjaan",
            "pendidikan_akhir",
            "alamat",
            "no_rt",
            "no_rw",
            "kode_kecamatan",
            "nama_kelurahan",
        )
    )
    keluarga = TableRows(
        (
            "no_kk",
            "nik_kepala",
            "alamat",
            "no_rt",
            "no_rw",
            "kode_kecamatan",
            "nama_kelurahan",
            "tgl_terbit",
        )
    )
    anggota = TableRows(("no_kk", "nik", "status_hubungan", "no_urut"))
    for p in city.people:
        penduduk.rows.append(
            (
                p.nik,
                p.kk,
                p.name,
                p.birth_place,
                p.birth_date,
                "L" if p.sex == "M" else "P",
                p.religion,
                p.marital_status,
                p.occupation,
                p.education,
                p.street,
                p.rt,
                p.rw,
                p.kecamatan,
                p.kelurahan,
            )
        )
    for f in city.families:
        h = f.head
        keluarga.rows.append(
            (f.kk, h.nik, h.street, h.rt, h.rw, h.kecamatan, h.kelurahan, f.issued)
        )
        for order, m in enumerate(f.members, start=1):
            anggota.rows.append((f.kk, m.nik, m.relationship, order))
    return SeedRows(
        tables={"penduduk": penduduk, "keluarga": keluarga, "anggota_keluarga": anggota},
    )
