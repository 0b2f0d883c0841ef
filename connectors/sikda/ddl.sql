-- SIKDa (Sistem Informasi Kepegawaian Daerah): the city's civil servants, PNS
-- and PPPK, as BKPSDM's personnel product has them.
CREATE TABLE unit_kerja (
    kode_unit         varchar(8) PRIMARY KEY,
    nama_unit         varchar(120) NOT NULL,
    kode_induk        varchar(8) REFERENCES unit_kerja (kode_unit)
);

-- nip: birth date yyyymmdd, CPNS start yyyymm (for PPPK: the year and "21"),
-- sex (1 man, 2 woman), serial. nik is stored as typed: some rows hold spaces or dots.
-- jenis_jabatan: 1 struktural, 2 fungsional tertentu, 4 fungsional umum (pelaksana).
CREATE TABLE pegawai (
    nip               char(18) PRIMARY KEY,
    nik               varchar(20) NOT NULL,
    nama              varchar(100) NOT NULL,
    gelar_depan       varchar(20),
    gelar_belakang    varchar(30),
    tempat_lahir      varchar(60),
    tanggal_lahir     date NOT NULL,
    jenis_kelamin     char(1) NOT NULL CHECK (jenis_kelamin IN ('L', 'P')),
    status_pegawai    varchar(4) NOT NULL CHECK (status_pegawai IN ('PNS', 'PPPK')),
    golongan          varchar(5) NOT NULL,
    tmt_golongan      date NOT NULL,
    jabatan           varchar(120) NOT NULL,
    jenis_jabatan     char(1) NOT NULL CHECK (jenis_jabatan IN ('1', '2', '4')),
    kode_unit         varchar(8) NOT NULL REFERENCES unit_kerja (kode_unit),
    tmt_jabatan       date NOT NULL,
    tmt_cpns          date,
    tmt_pns           date,
    tmt_pppk          date,
    no_hp             varchar(20)
);
CREATE INDEX pegawai_nik_bersih_idx ON pegawai ((regexp_replace(nik, '[^0-9]', '', 'g')));
CREATE INDEX pegawai_kode_unit_idx ON pegawai (kode_unit);

CREATE TABLE riwayat_pangkat (
    nip               char(18) NOT NULL REFERENCES pegawai (nip),
    golongan          varchar(5) NOT NULL,
    tmt_golongan      date NOT NULL,
    nomor_sk          varchar(40),
    PRIMARY KEY (nip, golongan)
);

CREATE TABLE riwayat_jabatan (
    nip               char(18) NOT NULL REFERENCES pegawai (nip),
    urutan            smallint NOT NULL,
    jabatan           varchar(120) NOT NULL,
    jenis_jabatan     char(1) NOT NULL,
    kode_unit         varchar(8) NOT NULL REFERENCES unit_kerja (kode_unit),
    tmt_jabatan       date NOT NULL,
    PRIMARY KEY (nip, urutan)
);
