-- SIAK (Sistem Informasi Administrasi Kependudukan): the population register, as
-- Disdukcapil's product has it. The NIK master of the city.
CREATE TABLE penduduk (
    nik               varchar(16) PRIMARY KEY,
    no_kk             varchar(16) NOT NULL,
    nama_lengkap      varchar(100) NOT NULL,
    tempat_lahir      varchar(60),
    tanggal_lahir     date NOT NULL,
    jenis_kelamin     char(1) NOT NULL CHECK (jenis_kelamin IN ('L', 'P')),
    agama             varchar(20),
    status_kawin      varchar(20),
    pekerjaan         varchar(60),
    pendidikan_akhir  varchar(40),
    alamat            varchar(200),
    no_rt             smallint,
    no_rw             smallint,
    kode_kecamatan    char(2),
    nama_kelurahan    varchar(60),
    tgl_update        timestamp NOT NULL DEFAULT now()
);
CREATE INDEX penduduk_no_kk_idx ON penduduk (no_kk);

CREATE TABLE keluarga (
    no_kk             varchar(16) PRIMARY KEY,
    nik_kepala        varchar(16) NOT NULL,
    alamat            varchar(200),
    no_rt             smallint,
    no_rw             smallint,
    kode_kecamatan    char(2),
    nama_kelurahan    varchar(60),
    tgl_terbit        date
);
CREATE INDEX keluarga_nik_kepala_idx ON keluarga (nik_kepala);

CREATE TABLE anggota_keluarga (
    no_kk             varchar(16) NOT NULL REFERENCES keluarga (no_kk),
    nik               varchar(16) NOT NULL REFERENCES penduduk (nik),
    status_hubungan   varchar(30) NOT NULL,
    no_urut           smallint NOT NULL,
    PRIMARY KEY (no_kk, nik)
);
CREATE INDEX anggota_keluarga_nik_idx ON anggota_keluarga (nik);

-- Deaths as the civil registry records them (akta kematian).
CREATE TABLE kematian (
    nik               varchar(16) PRIMARY KEY REFERENCES penduduk (nik),
    tanggal_meninggal date NOT NULL,
    no_akta           varchar(40)
);

-- A person who left one family card for another (divorce, remarriage, a card of their own).
CREATE TABLE riwayat_kk (
    nik               varchar(16) NOT NULL REFERENCES penduduk (nik),
    no_kk_lama        varchar(16) NOT NULL,
    no_kk_baru        varchar(16) NOT NULL REFERENCES keluarga (no_kk),
    tgl_pindah        date NOT NULL,
    alasan            varchar(30),
    PRIMARY KEY (nik, no_kk_baru)
);
CREATE INDEX riwayat_kk_lama_idx ON riwayat_kk (no_kk_lama);
