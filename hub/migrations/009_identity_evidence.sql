-- Links weigh evidence: a link is CERTAIN, CONFLICTED (the record carries the NIK but its
-- name disagrees with SIAK's) or SUGGESTED (a near-miss NIK, a candidate to review), with
-- the evidence that made it so. Only CERTAIN links, and those a steward accepted, are
-- served to partners as the citizen's own.
ALTER TABLE identity_links
    ADD COLUMN status text NOT NULL DEFAULT 'CERTAIN'
        CHECK (status IN ('CERTAIN', 'CONFLICTED', 'SUGGESTED')),
    ADD COLUMN evidence text;            -- what agreed and what did not, without personal data

-- A data steward's decisions on links in doubt (`citizen-hub identity review`). A
-- rejected link never comes back: the sync leaves it out. An accepted one is served as
-- the citizen's while its content is what the steward saw (the link's fingerprint);
-- when the evidence changes it goes back to the queue.
CREATE TABLE identity_decisions (
    link_key     bytea PRIMARY KEY,        -- the link decided: identity_links.link_key
    decision     text NOT NULL CHECK (decision IN ('ACCEPTED', 'REJECTED')),
    fingerprint  bytea NOT NULL,           -- the link's fingerprint when decided
    reason       text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 500),
    decided_by   text NOT NULL,
    decided_at   timestamptz NOT NULL DEFAULT now()
);
