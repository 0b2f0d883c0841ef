-- Idempotency keys of the writes the hub makes in the product databases (the
-- services issue): Antrian tickets, APK requests. The legacy tables have no column
-- for a client's key, so the hub keeps them here, beside no product row: the order
-- that keeps a crash from writing a row twice is in connectors/base.py
-- (IdempotencyStore). A key is claimed with a fingerprint of its request, gets the
-- id of its product row just before that row commits, and is completed after.

CREATE TABLE idempotency_keys (
    scope         text NOT NULL,            -- what the key writes: antrian.tiket, apk.permohonan
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    fingerprint   text NOT NULL,            -- digest of the request the key was first used for
    record        text,                     -- the product row's id, once (about to be) written
    completed     boolean NOT NULL DEFAULT false,  -- the row is known to be committed
    claimed_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    PRIMARY KEY (scope, key)
);
