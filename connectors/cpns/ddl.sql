-- CPNS online: the civil-service recruitment applications of the city's
-- residents (and of some neighbours), as the product has them. Rows from before
-- the computer-based SKD (2013) were migrated without stage scores.
CREATE TABLE instansi (
    kode_instansi     varchar(4) PRIMARY KEY,
    nama_instansi     varchar(120) NOT NULL,
    jenis_instansi    varchar(6) NOT NULL CHECK (jenis_instansi IN ('PUSAT', 'DAERAH'))
);

CREATE TABLE formasi (
    kode_formasi      varchar(12) PRIMARY KEY,
    tahun             smallint NOT NULL,
    kode_instansi     varchar(4) NOT NULL REFERENCES instansi (kode_instansi),
    jabatan           varchar(120) NOT NULL,
    pendidikan        varchar(80) NOT NULL,
    kuota             smallint NOT NULL CHECK (kuota > 0)
);

-- nik is stored as the applicant typed it: some rows hold spaces or dots.
CREATE TABLE pelamar (
    nomor_peserta     varchar(14) PRIMARY KEY,
    nik               varchar(20) NOT NULL,
    nama              varchar(100) NOT NULL,
    tanggal_lahir     date NOT NULL,
    jenis_kelamin     char(1) NOT NULL CHECK (jenis_kelamin IN ('L', 'P')),
    tahun             smallint NOT NULL,
    kode_formasi      varchar(12) NOT NULL REFERENCES formasi (kode_formasi),
    no_hp             varchar(20),
    email             varchar(100),
    tgl_daftar        date NOT NULL
);
CREATE INDEX pelamar_nik_bersih_idx ON pelamar ((regexp_replace(nik, '[^0-9]', '', 'g')));
CREATE INDEX pelamar_kode_formasi_idx ON pelamar (kode_formasi);

-- One row per applicant, a column group per stage: administrasi (MS/TMS), SKD
-- (TWK, TIU, TKP against passing grades 65/80/166), SKB, and the final status.
CREATE TABLE hasil_seleksi (
    nomor_peserta        varchar(14) PRIMARY KEY REFERENCES pelamar (nomor_peserta),
    status_administrasi  varchar(3) NOT NULL CHECK (status_administrasi IN ('MS', 'TMS')),
    skd_twk              smallint,
    skd_tiu              smallint,
    skd_tkp              smallint,
    skd_total            smallint,
    lulus_skd            boolean,
    nilai_skb            numeric(5, 2),
    nilai_akhir          numeric(6, 3),
    status_akhir         varchar(12) NOT NULL
        CHECK (status_akhir IN ('LULUS', 'TIDAK LULUS', 'P/L', 'TMS'))
);
