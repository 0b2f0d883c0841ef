-- A rerun of `identity sync` with nothing changed links nothing: each sync keeps the
-- fingerprints of what its crosswalk was computed from (each product's sightings,
-- SIAK, the steward's rejections, the linker's code, the day) and of the crosswalk it
-- left. When the next sync finds both the same, it records itself without reading a
-- product's rows or linking (`relinked` false). Rows of earlier syncs have none: the
-- first sync after this migration links in full.
ALTER TABLE identity_syncs
    ADD COLUMN inputs    jsonb,                      -- input name → fingerprint
    ADD COLUMN crosswalk text,                       -- both tables as this sync left them
    ADD COLUMN records   jsonb,                      -- records read per source
    ADD COLUMN relinked  boolean NOT NULL DEFAULT true;
