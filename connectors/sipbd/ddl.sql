-- SIPBD (Sistem Informasi Pengelolaan Barang Daerah): the city's regional assets,
-- registered per KIB (kartu inventaris barang) as BPKD's product has them.
CREATE TABLE unit_kerja (
    kode_unit         varchar(12) PRIMARY KEY,
    nama_unit         varchar(120) NOT NULL
);

-- kib: A tanah, B peralatan dan mesin, C gedung dan bangunan, D jalan irigasi
-- dan jaringan, E aset tetap lainnya, F konstruksi dalam pengerjaan.
-- kondisi: B baik, KB kurang baik, RB rusak berat.
-- nip_pemegang: the employee who holds the item, known only by NIP, typed as on
-- the handover form (some in the printed layout "19800101 200501 1 001");
-- NULL for land, buildings, roads and items kept in a warehouse.
CREATE TABLE barang (
    id_barang         integer PRIMARY KEY,
    kode_barang       varchar(20) NOT NULL,
    nomor_register    varchar(6) NOT NULL,
    nama_barang       varchar(160) NOT NULL,
    merk_tipe         varchar(60),
    kib               char(1) NOT NULL CHECK (kib IN ('A', 'B', 'C', 'D', 'E', 'F')),
    tahun_perolehan   smallint NOT NULL,
    nilai_perolehan   numeric(18, 2) NOT NULL,
    kondisi           varchar(2) NOT NULL CHECK (kondisi IN ('B', 'KB', 'RB')),
    lokasi            varchar(200),
    kode_unit         varchar(12) NOT NULL REFERENCES unit_kerja (kode_unit),
    nip_pemegang      varchar(24)
);
CREATE INDEX barang_nip_bersih_idx ON barang ((regexp_replace(nip_pemegang, '[^0-9]', '', 'g')));
CREATE UNIQUE INDEX barang_register_idx ON barang (kode_unit, kode_barang, nomor_register);
