-- A steward's decision holds while the link's evidence does (issue 15). A walk-in's
-- evidence carries weights and a probability that the sync re-learns from every ticket:
-- one new ticket changed every walk-in link's fingerprint, and every acceptance lapsed.
-- From here a link's fingerprint (what a decision is tied to) covers its method, how it
-- was made, whether SIAK knows the NIK, its status and its evidence's levels (the
-- comparison: "gives the phone", "same name", "one typo from this one"), not the weights
-- nor the probability; the candidate NIK is in the key. The new `checksum` covers every
-- content column, so a link whose numbers changed is still rewritten. The sync computes
-- both (hub/identity/store.py); identity_link_basis is the same digest in SQL, for the
-- re-tying below and for tests to check the two agree.
CREATE FUNCTION identity_link_basis(method text, via text, in_register boolean, status text,
                                    evidence text) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT substring(decode(md5(method || E'\x1f' || coalesce(via, '') || E'\x1f'
                            || in_register::text || E'\x1f' || status || E'\x1f'
                            || coalesce(regexp_replace(evidence,
                                   ' \(weight [^)]*\)|; probability [^;]*$', '', 'g'), '')),
                        'hex') FROM 1 FOR 8)
$$;

ALTER TABLE identity_links ADD COLUMN checksum bytea;

-- Decisions that held are re-tied to their link's new fingerprint; those that had
-- lapsed stay lapsed (8 bytes of md5 are never the old digest of the same link).
UPDATE identity_decisions d
   SET fingerprint = identity_link_basis(l.method, l.via, l.in_register, l.status, l.evidence)
  FROM identity_links l
 WHERE l.link_key = d.link_key AND l.fingerprint = d.fingerprint;

-- The old fingerprint covered every content column: it is the checksum the sync computes.
UPDATE identity_links
   SET checksum = fingerprint,
       fingerprint = identity_link_basis(method, via, in_register, status, evidence);
ALTER TABLE identity_links ALTER COLUMN checksum SET NOT NULL;

-- A row edited by hand (status, confidence, evidence, nik...) loses its digests, so the
-- next sync sees it differ from what it computes and rewrites it, and the crosswalk's
-- own fingerprint (keys and fingerprints) changes, so a sync with unchanged inputs does
-- not skip it. The sync writes with citizen_hub.identity_sync set for its transaction.
-- A decision on a hand-edited link lapses until the sync has repaired it.
CREATE FUNCTION identity_row_edited() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.fingerprint := '\x'::bytea;
    IF TG_TABLE_NAME = 'identity_links' THEN
        NEW.checksum := '\x'::bytea;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER identity_links_edited BEFORE INSERT OR UPDATE ON identity_links
    FOR EACH ROW
    WHEN (current_setting('citizen_hub.identity_sync', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION identity_row_edited();
CREATE TRIGGER identity_findings_edited BEFORE INSERT OR UPDATE ON identity_findings
    FOR EACH ROW
    WHEN (current_setting('citizen_hub.identity_sync', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION identity_row_edited();
