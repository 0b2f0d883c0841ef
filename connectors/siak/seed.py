"""SIAK's synthetic rows: the register itself, copied from the city.

A few entries are deliberately inconsistent, as registers are: the birth date or
the sex recorded was corrected after the NIK was issued, so the NIK no longer
encodes them. They are counted in ``messy`` (``nik_birth_date_differs``,
``nik_sex_differs``) and drawn from a stream of their own, so every other row is
what it always was.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from connectors.base import SeedRows, Source, TableRows
from connectors.mess import conflict_count

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
    born_differs, sex_differs = _inconsistent(city)
    for p in city.people:
        born = p.birth_date + timedelta(days=born_differs[p.nik]) if p.nik in born_differs else None
        sex = ("F" if p.sex == "M" else "M") if p.nik in sex_differs else p.sex
        penduduk.rows.append(
            (
                p.nik,
                p.kk,
                p.name,
                p.birth_place,
                born or p.birth_date,
                "L" if sex == "M" else "P",
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
    # Deaths and card changes: none in the seeders' city; connectors.planting adds them.
    kematian = TableRows(("nik", "tanggal_meninggal", "no_akta"))
    riwayat = TableRows(("nik", "no_kk_lama", "no_kk_baru", "tgl_pindah", "alasan"))
    return SeedRows(
        tables={
            "penduduk": penduduk,
            "keluarga": keluarga,
            "anggota_keluarga": anggota,
            "kematian": kematian,
            "riwayat_kk": riwayat,
        },
        messy={"nik_birth_date_differs": len(born_differs), "nik_sex_differs": len(sex_differs)},
    )


def _inconsistent(city: City) -> tuple[dict[str, int], set[str]]:
    """The entries whose birth date moved (NIK -> days moved) or whose sex changed.

    Never a showcase family: the demo shows them as the products agree on them.
    """
    rng = city.rng("siak:identity")
    showcase = {m.nik for f in city.showcase for m in f.members}
    count = conflict_count(len(city.people))
    # Sampled by position, then sorted: the draw does not depend on the list's contents.
    chosen = sorted(rng.sample(range(len(city.people)), 2 * count + len(showcase)))
    niks = [city.people[i].nik for i in chosen if city.people[i].nik not in showcase][: 2 * count]
    rng.shuffle(niks)
    # Earlier, never later: a later date could fall after the reference date.
    moved = {nik: -rng.randint(1, 400) for nik in niks[:count]}
    return moved, set(niks[count:])
