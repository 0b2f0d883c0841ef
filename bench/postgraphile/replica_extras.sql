-- What PostGraphile needs on top of the copied product schemas (bench/replica.py applies
-- this to the consolidated replica) to express "a citizen with their school admissions,
-- civil-service applications, civil-servant record and its assets, procurement roles,
-- district requests and queue tickets" as one GraphQL query.
--
-- No stored value changes. The products keep NIKs and NIPs as typed
-- ("3671 0112 …", "19800101 200501 1 001"); the hub matches them on
-- regexp_replace(x, '[^0-9]', '', 'g') through expression indexes. PostGraphile joins on
-- columns, so each such key gets a STORED generated column of the very same expression,
-- indexed, and a smart-tag (virtual) foreign key to the clean key it names: a real FK
-- cannot be declared, since some rows name NIKs from outside the city (not in SIAK) or
-- NIPs SIKDa does not know.

SET client_min_messages = warning;

-- 1. Clean keys: generated columns and their indexes ------------------------------------

ALTER TABLE psb.pendaftar
  ADD COLUMN nik_bersih text GENERATED ALWAYS AS (regexp_replace(nik, '[^0-9]', '', 'g')) STORED;
CREATE INDEX pendaftar_nik_bersih_col_idx ON psb.pendaftar (nik_bersih);

ALTER TABLE cpns.pelamar
  ADD COLUMN nik_bersih text GENERATED ALWAYS AS (regexp_replace(nik, '[^0-9]', '', 'g')) STORED;
CREATE INDEX pelamar_nik_bersih_col_idx ON cpns.pelamar (nik_bersih);

-- A NIK has at most one civil-servant record: a unique constraint (not just an index) so
-- PostGraphile exposes Citizen.employment as one object, not a connection. A messy
-- register (the city seeded with --mess realistic) has a few NIKs typed on two records:
-- the clean key goes on one of them (the highest NIP), the other keeps NULL.
ALTER TABLE sikda.pegawai ADD COLUMN nik_bersih text;
UPDATE sikda.pegawai p SET nik_bersih = k.clean
  FROM (SELECT DISTINCT ON (clean) nip, clean
          FROM (SELECT nip, regexp_replace(nik, '[^0-9]', '', 'g') AS clean
                  FROM sikda.pegawai) s
         ORDER BY clean, nip DESC) k
 WHERE p.nip = k.nip;
ALTER TABLE sikda.pegawai ADD CONSTRAINT pegawai_nik_bersih_key UNIQUE (nik_bersih);

-- SIPBD knows an asset's holder by NIP only (as typed on the handover form).
ALTER TABLE sipbd.barang
  ADD COLUMN nip_bersih text
  GENERATED ALWAYS AS (regexp_replace(nip_pemegang, '[^0-9]', '', 'g')) STORED;
CREATE INDEX barang_nip_bersih_col_idx ON sipbd.barang (nip_bersih);

ALTER TABLE lpse.pengurus
  ADD COLUMN nik_bersih text GENERATED ALWAYS AS (regexp_replace(nik, '[^0-9]', '', 'g')) STORED;
CREATE INDEX pengurus_nik_bersih_col_idx ON lpse.pengurus (nik_bersih);

ALTER TABLE apk.permohonan
  ADD COLUMN nik_bersih text
  GENERATED ALWAYS AS (regexp_replace(nik_pemohon, '[^0-9]', '', 'g')) STORED;
CREATE INDEX permohonan_nik_bersih_col_idx ON apk.permohonan (nik_bersih);

ALTER TABLE antrian.tiket
  ADD COLUMN nik_bersih text GENERATED ALWAYS AS (regexp_replace(nik, '[^0-9]', '', 'g')) STORED;
CREATE INDEX tiket_nik_bersih_col_idx ON antrian.tiket (nik_bersih);

-- Every foreign key the query walks backwards is indexed already in the products'
-- DDL (peserta.id_penyedia, and hasil_seleksi / pemenang by their primary keys), and
-- the crosswalk has identity_links (nik, kind); so nothing else is added.

-- 2. Relations (smart comments: virtual foreign keys, and the GraphQL names) ----------

COMMENT ON TABLE psb.pendaftar IS
  E'@foreignKey (nik_bersih) references siak.penduduk (nik)|@fieldName citizen|@foreignFieldName schoolAdmissions';
COMMENT ON TABLE cpns.pelamar IS
  E'@foreignKey (nik_bersih) references siak.penduduk (nik)|@fieldName citizen|@foreignFieldName civilServiceApplications';
COMMENT ON TABLE sikda.pegawai IS
  E'@foreignKey (nik_bersih) references siak.penduduk (nik)|@fieldName citizen|@foreignSingleFieldName employment';
COMMENT ON TABLE sipbd.barang IS
  E'@foreignKey (nip_bersih) references sikda.pegawai (nip)|@fieldName holder|@foreignFieldName assetsHeld';
COMMENT ON TABLE lpse.pengurus IS
  E'@foreignKey (nik_bersih) references siak.penduduk (nik)|@fieldName citizen|@foreignFieldName procurementRoles';
COMMENT ON TABLE apk.permohonan IS
  E'@foreignKey (nik_bersih) references siak.penduduk (nik)|@fieldName citizen|@foreignFieldName districtRequests';
COMMENT ON TABLE antrian.tiket IS
  E'@foreignKey (nik_bersih) references siak.penduduk (nik)|@fieldName citizen|@foreignFieldName queueTickets';

-- 3. Computed columns and the batch lookup -------------------------------------------

-- Walk-in tickets carry no NIK: the hub's identity crosswalk matched them by phone
-- (identity_links, kind QUEUE_TICKET, method MATCHED). The hub merges them into
-- Citizen.queueTickets; here they are a computed column beside the NIK-carrying ones.
CREATE FUNCTION siak.penduduk_walk_in_tickets(p siak.penduduk) RETURNS SETOF antrian.tiket
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT t.*
    FROM hub.identity_links l
    JOIN antrian.tiket t
      ON t.id_tiket = CASE WHEN l.value ~ '^[0-9]{1,18}$' THEN l.value::bigint END
   WHERE l.nik = p.nik AND l.kind = 'QUEUE_TICKET' AND l.method = 'MATCHED'
$$;

-- Whether this bid won its tender (the hub's TenderParticipation.won).
CREATE FUNCTION lpse.peserta_won(s lpse.peserta) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT EXISTS (SELECT 1 FROM lpse.pemenang w
                  WHERE w.kode_tender = s.kode_tender AND w.id_penyedia = s.id_penyedia)
$$;

-- The batch lookup: Query.citizens(niks: [...]), like the hub's citizens(niks:).
-- (Core PostGraphile has equality conditions only; an IN list is a custom query.)
CREATE FUNCTION siak.citizens(niks text[]) RETURNS SETOF siak.penduduk
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT * FROM siak.penduduk WHERE nik = ANY (niks)
$$;
