-- The identity crosswalk (issue 4): every identifier the eight products hold, linked to
-- a NIK with its provenance, and the data-quality findings met while linking.
-- `citizen-hub identity sync` rebuilds both from the products and writes only the
-- differences: a row is keyed by a digest of what identifies it and carries a digest
-- (fingerprint) of the rest, so an unchanged link is never rewritten.

CREATE TABLE identity_links (
    link_key     bytea PRIMARY KEY,        -- digest of (kind, value, system, record, nik)
    kind         text NOT NULL,            -- NIP, NISN, NPWP, PHONE, KK, QUEUE_TICKET, …
    value        text NOT NULL,            -- canonical: 16-digit NPWP, 08… phone, bare NIP
    system       text NOT NULL,            -- the product that holds it: siak, psb, …
    record       text NOT NULL,            -- the row there, table:key (pelamar:2436710000123)
    nik          text NOT NULL CHECK (nik ~ '^[0-9]{16}$'),
    method       text NOT NULL CHECK (method IN ('EXACT', 'DERIVED', 'MATCHED')),
    confidence   real NOT NULL CHECK (confidence > 0 AND confidence <= 1),
    via          text,                     -- how a DERIVED or MATCHED link was made
    in_register  boolean NOT NULL,         -- SIAK knows the NIK: a citizen of the city
    fingerprint  bytea NOT NULL,           -- digest of method, confidence, via, in_register
    first_seen   timestamptz NOT NULL,     -- the sync that first linked it
    changed_at   timestamptz NOT NULL      -- the sync that last changed its content
);
-- Citizen.identifiers and the matched queue tickets: by NIK.
CREATE INDEX identity_links_nik_idx ON identity_links (nik, kind);
-- resolveIdentity: by what was given.
CREATE INDEX identity_links_value_idx ON identity_links (value, kind, system);

CREATE TABLE identity_findings (
    finding_key  bytea PRIMARY KEY,        -- digest of (system, rule, record, nik)
    system       text NOT NULL,
    rule         text NOT NULL,            -- nik_birth_date, nip_sex, name_mismatch, …
    record       text NOT NULL,
    nik          text CHECK (nik ~ '^[0-9]{16}$'),
    detail       text NOT NULL,            -- what disagrees, without personal data
    fingerprint  bytea NOT NULL,
    first_seen   timestamptz NOT NULL,
    changed_at   timestamptz NOT NULL
);
CREATE INDEX identity_findings_rule_idx ON identity_findings (system, rule);

-- One row per completed sync: every current link and finding was seen by the latest.
CREATE TABLE identity_syncs (
    id                bigserial PRIMARY KEY,
    started_at        timestamptz NOT NULL,
    finished_at       timestamptz NOT NULL,
    links             integer NOT NULL,
    links_inserted    integer NOT NULL,
    links_updated     integer NOT NULL,
    links_removed     integer NOT NULL,
    findings          integer NOT NULL,
    findings_inserted integer NOT NULL,
    findings_updated  integer NOT NULL,
    findings_removed  integer NOT NULL
);
