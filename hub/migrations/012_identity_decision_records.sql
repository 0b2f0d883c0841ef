-- A product record in doubt for a NIK is not served as that citizen's (issue 15): the
-- graph reads each level's records in doubt with the crosswalk's links. A rejected link
-- is deleted from identity_links, so its decision keeps which record and NIK it named
-- (a link key is a digest: it cannot be read back). Filled from the link when the
-- decision is written, whoever writes it; decisions taken before this migration on
-- links since deleted (rejections) stay unnamed: their records are served again until
-- a steward rejects them once more.
ALTER TABLE identity_decisions
    ADD COLUMN system text,                -- identity_links.system of the link decided
    ADD COLUMN record text,                -- identity_links.record
    ADD COLUMN nik    text;                -- identity_links.nik

UPDATE identity_decisions d
   SET system = l.system, record = l.record, nik = l.nik
  FROM identity_links l
 WHERE l.link_key = d.link_key;

CREATE FUNCTION identity_decision_named() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    linked record;
BEGIN
    SELECT l.system, l.record, l.nik INTO linked
      FROM identity_links l WHERE l.link_key = NEW.link_key;
    IF FOUND THEN
        NEW.system := linked.system;
        NEW.record := linked.record;
        NEW.nik := linked.nik;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER identity_decisions_named BEFORE INSERT OR UPDATE ON identity_decisions
    FOR EACH ROW EXECUTE FUNCTION identity_decision_named();

-- The graph's read: a level's NIKs' rejected records, beside their links.
CREATE INDEX identity_decisions_rejected_idx ON identity_decisions (nik)
    WHERE decision = 'REJECTED';
