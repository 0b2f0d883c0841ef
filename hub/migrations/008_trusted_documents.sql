-- Trusted documents: the GraphQL operations registered with `citizen-hub documents add`,
-- which clients then ask for by id ({"documentId": "sha256:<hex>"}) instead of sending
-- text (hub.documents, schema/execution/trusted.py). The id is the SHA-256 of the text,
-- so a row can never answer with other text than the one its id was computed from.

CREATE TABLE trusted_documents (
    digest      text PRIMARY KEY CHECK (digest ~ '^[0-9a-f]{64}$'),
    body        text NOT NULL,
    operation   text,                       -- the operation's name, for documents list
    origin      text,                       -- the file it was registered from
    added_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (encode(sha256(convert_to(body, 'UTF8')), 'hex') = digest)
);
