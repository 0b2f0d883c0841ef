"""APK's synthetic rows: the service catalogue and a year of requests with their history.

About one adult in ten asks their kecamatan office for a letter in a year, mostly
at the office of the kecamatan they live in; a few applicants live in the
neighbouring regencies (a domicile or business letter for where they now live or
work). Requests still open on the reference date have a history that stops there.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from connectors.apk.mixups import mix_up
from connectors.base import SeedRows, Source, TableRows
from connectors.city import REFERENCE_DATE, weighted
from connectors.mess import LegacyMess
from identity.regions import KECAMATAN

if TYPE_CHECKING:
    from connectors.city import City, Person

# code, name, processing days, requirements, share of requests, purposes
_SERVICES: tuple[tuple[str, str, int, str, float, tuple[str, ...]], ...] = (
    ("SP", "SURAT PENGANTAR", 1, "Fotokopi KTP; Fotokopi KK; Surat pengantar RT/RW", 0.26,
     ("Pembuatan SKCK", "Pengurusan nikah", "Pembuatan paspor", "Pengurusan akta kelahiran")),
    ("SKTM", "SURAT KETERANGAN TIDAK MAMPU", 2,
     "Fotokopi KTP; Fotokopi KK; Surat pengantar RT/RW; Surat pernyataan tidak mampu bermaterai",
     0.14, ("Keringanan biaya pendidikan", "Berobat ke RSUD Kota Tangerang",
            "Pengajuan beasiswa", "Pengajuan bantuan sosial")),
    ("SKD", "SURAT KETERANGAN DOMISILI", 1, "Fotokopi KTP; Fotokopi KK; Surat pengantar RT/RW",
     0.16, ("Melamar pekerjaan", "Pembukaan rekening bank", "Pendaftaran sekolah anak")),
    ("SKU", "SURAT KETERANGAN USAHA", 2,
     "Fotokopi KTP; Fotokopi KK; Surat pengantar RT/RW; Foto tempat usaha", 0.12,
     ("Pengajuan KUR bank", "Pendaftaran NIB", "Pengajuan bantuan UMKM")),
    ("SKBM", "SURAT KETERANGAN BELUM MENIKAH", 1,
     "Fotokopi KTP; Fotokopi KK; Surat pengantar RT/RW", 0.06,
     ("Melamar pekerjaan", "Pendaftaran TNI/POLRI")),
    ("SKAW", "SURAT KETERANGAN AHLI WARIS", 5,
     "Fotokopi KTP para ahli waris; Fotokopi KK; Akta kematian; Surat pernyataan ahli waris",
     0.05, ("Pencairan tabungan almarhum", "Balik nama sertifikat tanah")),
    ("LEG", "LEGALISASI DOKUMEN", 1, "Dokumen asli; Fotokopi dokumen", 0.07,
     ("Legalisasi fotokopi KK", "Legalisasi surat keterangan")),
    ("IUMK", "REKOMENDASI IZIN USAHA MIKRO KECIL", 3,
     "Fotokopi KTP; Fotokopi KK; Surat keterangan usaha; Pas foto 3x4", 0.04,
     ("Izin usaha warung", "Izin usaha laundry", "Izin usaha katering")),
    ("IK", "REKOMENDASI IZIN KERAMAIAN", 3,
     "Fotokopi KTP; Surat pengantar RT/RW; Denah lokasi acara", 0.05,
     ("Hajatan pernikahan", "Acara khitanan", "Peringatan HUT RI di lingkungan RW")),
    ("PBG", "REKOMENDASI PBG", 7,
     "Fotokopi KTP; Bukti kepemilikan tanah; Gambar rencana bangunan; Bukti lunas PBB",
     0.03, ("Rekomendasi PBG rumah tinggal", "Rekomendasi PBG ruko")),
)  # fmt: skip
_BY_CODE = {s[0]: s for s in _SERVICES}
_REQUEST_SHARE = 0.1
_OUT_OF_CITY_SHARE = 0.025
_OTHER_KECAMATAN_SHARE = 0.08
_SEPARATOR_SHARE = 0.03
_PHONE_REFORMAT_SHARE = 0.3
_REJECT_SHARE = 0.06
_NOW = datetime(REFERENCE_DATE.year, REFERENCE_DATE.month, REFERENCE_DATE.day)
_REJECTIONS = (
    "Persyaratan tidak lengkap: surat pengantar RT/RW belum ada",
    "Fotokopi KK tidak terbaca, mohon unggah ulang",
    "Data pemohon tidak sesuai dengan KTP",
)

# One request before the rows are numbered: (submitted, online, person, service, kecamatan,
# purpose, rejected). Numbers run per month in submission order, so all are drawn first.
_Draft = tuple[datetime, bool, "Person", str, str, str, bool]


def seed(city: City, earlier: dict[Source, SeedRows]) -> SeedRows:
    """The service catalogue, and requests over the 12 months before the reference date.

    Every showcase wife has a completed business letter (SKU) request; ``messy``
    counts exactly the rows made dirty.
    """
    rng = city.rng("apk")
    kecamatan = sorted(KECAMATAN)
    assert city.names is not None
    staff = {
        k: [city.names.full_name(rng, rng.choice(("M", "F"))) for _ in range(3)] for k in kecamatan
    }
    wives = {id(f.members[1]) for f in city.showcase}
    drafts: list[_Draft] = []
    outsiders = 0
    for person in city.people:
        showcase = id(person) in wives
        if not showcase and (rng.random() >= _REQUEST_SHARE or person.age() < 18):
            continue
        for n in range(rng.choice((1, 1, 1, 1, 1, 1, 1, 2, 2, 3))):
            if showcase and n == 0:
                # The demo wife runs a business: a business letter for a KUR loan, done.
                day = _NOW - timedelta(days=rng.randint(40, 150))
                when = day + timedelta(minutes=rng.randint(9 * 60, 21 * 60))
                drafts.append(
                    (when, True, person, "SKU", person.kecamatan, "Pengajuan KUR bank", False)
                )
                continue
            code = weighted(rng, tuple((s[0], s[4]) for s in _SERVICES))
            office = (
                person.kecamatan
                if rng.random() >= _OTHER_KECAMATAN_SHARE
                else rng.choice(kecamatan)
            )
            drafts.append(_draft(rng, person, code, office))
            if rng.random() < _OUT_OF_CITY_SHARE:
                outsider = city.outsider(rng)
                code = rng.choice(("SKD", "SKD", "SKU"))
                drafts.append(_draft(rng, outsider, code, rng.choice(kecamatan)))
                outsiders += 1
    drafts.sort(key=lambda d: d[0])
    rows = _Rows(rng, staff)
    for draft in drafts:
        rows.add(draft)
    mixed = mix_up(city, rows.permohonan)
    return SeedRows(
        tables={
            "jenis_layanan": TableRows(
                ("kode", "nama", "lama_proses_hari", "persyaratan"),
                [s[:4] for s in _SERVICES],
            ),
            "permohonan": rows.permohonan,
            "riwayat_status": rows.riwayat,
        },
        messy={
            "nik_with_separators": rows.mess.nik_with_separators,
            "out_of_city": outsiders,
            "phone_reformatted": rows.mess.phone_reformatted,
            "name_differs_from_siak": mixed.renamed,
            "phone_of_another_applicant": len(mixed.shared_phones),
        },
        exports={"shared_phones": mixed.shared_phones},
    )


def _draft(rng: random.Random, person: Person, code: str, office: str) -> _Draft:
    online = rng.random() < 0.45
    day = _NOW - timedelta(days=rng.randint(1, 365))
    if online:
        when = day + timedelta(minutes=rng.randint(6 * 60, 23 * 60))
    else:
        # The front desk is open on weekdays, 08:00 to 15:00.
        if day.weekday() >= 5:
            day -= timedelta(days=day.weekday() - 4)
        when = day + timedelta(minutes=rng.randint(8 * 60, 15 * 60))
    if code == "SKBM" and person.marital_status != "BELUM KAWIN":
        code = "SKD"
    purpose = rng.choice(_BY_CODE[code][5])
    return (when, online, person, code, office, purpose, rng.random() < _REJECT_SHARE)


class _Rows:
    """permohonan and riwayat_status rows, numbered in submission order, mess counted."""

    def __init__(self, rng: random.Random, staff: dict[str, list[str]]) -> None:
        self.rng, self.staff = rng, staff
        self.permohonan = TableRows(
            (
                "id",
                "nomor_permohonan",
                "kode_layanan",
                "kode_kecamatan",
                "nik_pemohon",
                "nama_pemohon",
                "no_hp",
                "keperluan",
                "tgl_pengajuan",
                "status_terakhir",
            )
        )
        self.riwayat = TableRows(("id", "permohonan_id", "status", "waktu", "catatan", "petugas"))
        self.serials: dict[tuple[int, int], int] = {}
        self.mess = LegacyMess(rng, nik_share=_SEPARATOR_SHARE, phone_share=_PHONE_REFORMAT_SHARE)

    def add(self, draft: _Draft) -> None:
        when, online, person, code, office, purpose, rejected = draft
        rng = self.rng
        serial = self.serials.get((when.year, when.month), 0) + 1
        self.serials[when.year, when.month] = serial
        row_id = len(self.permohonan.rows) + 1
        officer = rng.choice(self.staff[office])
        verified = when + timedelta(
            minutes=rng.randint(30, 26 * 60) if online else rng.randint(5, 60)
        )
        submitted = "Diajukan melalui aplikasi" if online else "Diajukan di loket kecamatan"
        steps: list[tuple[str, datetime, str, str | None]] = [
            ("DIAJUKAN", when, submitted, None if online else officer)
        ]
        if rejected:
            steps.append(("DITOLAK", verified, rng.choice(_REJECTIONS), officer))
        else:
            processing = verified + timedelta(minutes=rng.randint(60, 300))
            done = max(
                when + timedelta(days=_BY_CODE[code][2], minutes=rng.randint(0, 6 * 60)),
                processing + timedelta(hours=1),
            )
            waiting = (
                "Peninjauan lokasi oleh tim teknis"
                if code == "PBG"
                else "Menunggu tanda tangan Camat"
            )
            ready = (
                "Dokumen elektronik dikirim ke pemohon"
                if online
                else "Dokumen dapat diambil di loket"
            )
            steps += [
                ("DIVERIFIKASI", verified, "Berkas lengkap", officer),
                ("DIPROSES", processing, waiting, officer),
                ("SELESAI", done, ready, officer),
            ]
        steps = [s for s in steps if s[1] <= _NOW]
        for status, at, note, by in steps:
            self.riwayat.rows.append((len(self.riwayat.rows) + 1, row_id, status, at, note, by))
        self.permohonan.rows.append(
            (
                row_id,
                f"APK/{when.month:02d}/{when.year}/{serial:06d}",
                code,
                office,
                self.mess.nik(person.nik),
                person.name,
                self.mess.phone(person.phone),
                purpose,
                when,
                steps[-1][0],
            )
        )
