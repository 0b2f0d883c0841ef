-- LPSE (Layanan Pengadaan Secara Elektronik): vendors, their management, packages,
-- bids and winners, as the city's SPSE instance has them. NPWP and NIK are stored
-- as typed by vendors (old NPWP "01.234.567.8-416.000", NIK with spaces or dots),
-- so the hub looks them up through expression indexes on the digits.
CREATE TABLE penyedia (
    id_penyedia       integer PRIMARY KEY,
    npwp              varchar(25) NOT NULL,
    nama_perusahaan   varchar(150) NOT NULL,
    bentuk_usaha      varchar(20) NOT NULL,
    alamat            varchar(200),
    kota              varchar(60),
    telepon           varchar(25),
    tgl_daftar        date
);
CREATE INDEX penyedia_npwp_digits_idx ON penyedia (regexp_replace(npwp, '[^0-9]', '', 'g'));

CREATE TABLE pengurus (
    id_pengurus       integer PRIMARY KEY,
    id_penyedia       integer NOT NULL REFERENCES penyedia (id_penyedia),
    nik               varchar(25) NOT NULL,
    nama              varchar(100) NOT NULL,
    jabatan           varchar(30) NOT NULL,
    persen_saham      numeric(5, 2)
);
CREATE INDEX pengurus_nik_digits_idx ON pengurus (regexp_replace(nik, '[^0-9]', '', 'g'));
CREATE INDEX pengurus_id_penyedia_idx ON pengurus (id_penyedia);

CREATE TABLE paket (
    kode_tender       varchar(20) PRIMARY KEY,
    nama_paket        varchar(250) NOT NULL,
    satker            varchar(150) NOT NULL,
    jenis_pengadaan   varchar(40) NOT NULL,
    tahun_anggaran    smallint NOT NULL,
    pagu              numeric(18, 2),
    hps               numeric(18, 2) NOT NULL,
    metode            varchar(40) NOT NULL,
    tahapan           varchar(40) NOT NULL,
    tgl_pengumuman    date
);

CREATE TABLE peserta (
    kode_tender       varchar(20) NOT NULL REFERENCES paket (kode_tender),
    id_penyedia       integer NOT NULL REFERENCES penyedia (id_penyedia),
    harga_penawaran   numeric(18, 2),
    status            varchar(20) NOT NULL,
    PRIMARY KEY (kode_tender, id_penyedia)
);
CREATE INDEX peserta_id_penyedia_idx ON peserta (id_penyedia);

CREATE TABLE pemenang (
    kode_tender       varchar(20) PRIMARY KEY REFERENCES paket (kode_tender),
    id_penyedia       integer NOT NULL REFERENCES penyedia (id_penyedia),
    harga_kontrak     numeric(18, 2)
);
CREATE INDEX pemenang_id_penyedia_idx ON pemenang (id_penyedia)
