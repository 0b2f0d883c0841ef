-- PSB (Penerimaan Siswa Baru online): the admissions product of Dinas Pendidikan
-- for the state primary (SD) and junior high (SMP) schools of Kota Tangerang.
-- Parents fill the form themselves, so NIK and phone are stored as typed.
CREATE TABLE sekolah (
    npsn              char(8) PRIMARY KEY,
    nama_sekolah      varchar(100) NOT NULL,
    jenjang           varchar(3) NOT NULL CHECK (jenjang IN ('SD', 'SMP')),
    kecamatan         varchar(40) NOT NULL,
    alamat            varchar(200),
    kuota             smallint NOT NULL
);

CREATE TABLE pendaftar (
    id                integer PRIMARY KEY,
    no_pendaftaran    varchar(30) NOT NULL,
    nisn              varchar(10),
    nik               varchar(24) NOT NULL,
    nama              varchar(100) NOT NULL,
    tanggal_lahir     date,
    jenjang           varchar(3) NOT NULL CHECK (jenjang IN ('SD', 'SMP')),
    jalur             varchar(12) NOT NULL,
    jarak_meter       integer,
    nilai             numeric(5, 2),
    status_seleksi    varchar(20) NOT NULL,
    tahun_ajaran      char(9) NOT NULL,
    tgl_daftar        date NOT NULL,
    nama_ortu         varchar(100),
    no_hp_ortu        varchar(20),
    no_kk             varchar(16)
);
CREATE UNIQUE INDEX pendaftar_no_pendaftaran_idx ON pendaftar (no_pendaftaran);
-- The hub looks applicants up by the clean 16 digits, whatever separators were typed.
CREATE INDEX pendaftar_nik_bersih_idx ON pendaftar ((regexp_replace(nik, '[^0-9]', '', 'g')));
CREATE UNIQUE INDEX pendaftar_nisn_idx ON pendaftar (nisn);
CREATE INDEX pendaftar_no_kk_idx ON pendaftar (no_kk);

CREATE TABLE pilihan_sekolah (
    pendaftar_id      integer NOT NULL REFERENCES pendaftar (id),
    urutan            smallint NOT NULL CHECK (urutan BETWEEN 1 AND 3),
    npsn              char(8) NOT NULL REFERENCES sekolah (npsn),
    status            varchar(20),
    PRIMARY KEY (pendaftar_id, urutan)
);
CREATE INDEX pilihan_sekolah_npsn_idx ON pilihan_sekolah (npsn);
