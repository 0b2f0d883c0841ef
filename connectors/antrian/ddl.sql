-- Antrian: the queue system of the Mal Pelayanan Publik Kota Tangerang, as the
-- product has it. Tickets hold the NIK and phone as the visitor typed them (NIKs
-- with spaces or dots, phones as 08…, 62… or +62 8…-…), so the hub looks them up
-- through expression indexes on the normalised values. Times are local (WIB).
CREATE TABLE gerai (
    kode_gerai        varchar(10) PRIMARY KEY,
    nama_gerai        varchar(100) NOT NULL,
    alamat            varchar(200),
    hari_buka         varchar(30) NOT NULL,
    jam_buka          time NOT NULL,
    jam_tutup         time NOT NULL
);

CREATE TABLE layanan (
    kode_layanan      varchar(12) PRIMARY KEY,
    kode_gerai        varchar(10) NOT NULL REFERENCES gerai (kode_gerai),
    instansi          varchar(80) NOT NULL,
    nama_layanan      varchar(120) NOT NULL,
    prefix            char(1) NOT NULL,
    kuota_harian      smallint NOT NULL,
    aktif             boolean NOT NULL DEFAULT true,
    UNIQUE (kode_gerai, prefix)
);

CREATE TABLE loket (
    kode_loket        varchar(12) PRIMARY KEY,
    kode_gerai        varchar(10) NOT NULL REFERENCES gerai (kode_gerai),
    kode_layanan      varchar(12) NOT NULL REFERENCES layanan (kode_layanan),
    nama_loket        varchar(40) NOT NULL
);

CREATE TABLE tiket (
    id_tiket          bigint PRIMARY KEY,
    nomor_tiket       varchar(10) NOT NULL,
    tanggal           date NOT NULL,
    kode_layanan      varchar(12) NOT NULL REFERENCES layanan (kode_layanan),
    kode_loket        varchar(12) REFERENCES loket (kode_loket),
    nik               varchar(25),
    no_hp             varchar(25),
    nama              varchar(100),
    status            varchar(12) NOT NULL,
    sumber            varchar(10) NOT NULL,
    waktu_ambil       timestamp NOT NULL,
    waktu_panggil     timestamp,
    waktu_selesai     timestamp
);
CREATE INDEX tiket_nik_digits_idx ON tiket (regexp_replace(nik, '[^0-9]', '', 'g'));
CREATE INDEX tiket_no_hp_canonical_idx
    ON tiket (regexp_replace(regexp_replace(no_hp, '[^0-9]', '', 'g'), '^62', '0'));
CREATE INDEX tiket_tanggal_layanan_idx ON tiket (tanggal, kode_layanan)
