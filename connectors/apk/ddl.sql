-- APK (Aplikasi Pelayanan Kecamatan): the service-request product shared by the
-- 13 kecamatan offices of Kota Tangerang. Requests come from the online form and
-- from the front desk, so NIK and phone are stored as typed.
CREATE TABLE jenis_layanan (
    kode              varchar(8) PRIMARY KEY,
    nama              varchar(100) NOT NULL,
    lama_proses_hari  smallint NOT NULL,
    persyaratan       text
);

CREATE TABLE permohonan (
    id                integer PRIMARY KEY,
    nomor_permohonan  varchar(24) NOT NULL,
    kode_layanan      varchar(8) NOT NULL REFERENCES jenis_layanan (kode),
    kode_kecamatan    char(2) NOT NULL,
    nik_pemohon       varchar(24) NOT NULL,
    nama_pemohon      varchar(100) NOT NULL,
    no_hp             varchar(20),
    keperluan         varchar(200),
    tgl_pengajuan     timestamp NOT NULL,
    status_terakhir   varchar(12) NOT NULL
);
CREATE UNIQUE INDEX permohonan_nomor_idx ON permohonan (nomor_permohonan);
-- The hub looks requests up by the clean 16 digits, whatever separators were typed.
CREATE INDEX permohonan_nik_bersih_idx
    ON permohonan ((regexp_replace(nik_pemohon, '[^0-9]', '', 'g')));
-- And by phone, in the 08 form whatever the format typed (62…, +62 8xx-…).
CREATE INDEX permohonan_no_hp_bersih_idx
    ON permohonan ((regexp_replace(regexp_replace(no_hp, '[^0-9]', '', 'g'), '^62', '0')));

CREATE TABLE riwayat_status (
    id                integer PRIMARY KEY,
    permohonan_id     integer NOT NULL REFERENCES permohonan (id),
    status            varchar(12) NOT NULL,
    waktu             timestamp NOT NULL,
    catatan           varchar(200),
    petugas           varchar(100)
);
CREATE INDEX riwayat_status_permohonan_idx ON riwayat_status (permohonan_id, waktu);
