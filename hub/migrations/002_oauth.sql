-- The hub's own authorization server: signing keys, clients, purposes (issue 5).

-- Signing keys. A key is published in /.well-known/jwks.json until it is retired; the
-- newest unretired key signs. `citizen-hub keys rotate` adds a key, `keys retire` ends one.
--
-- private_jwk holds the private JWK as JSON, or {"jwe": "<compact JWE>"} when the setting
-- CITIZEN_HUB_KEY_ENCRYPTION_KEY is given (dir + A256GCM, the row's kid bound in the
-- protected header). Sealed is what production should run: whoever reads this table could
-- otherwise mint tokens for any client and read every citizen's data through the hub. In
-- clear is accepted for the embedded demo database only, which lives in the operator's own
-- data folder next to the product databases it would expose anyway.
CREATE TABLE oauth_signing_keys (
    kid          text PRIMARY KEY,
    alg          text NOT NULL CHECK (alg IN ('ES256', 'RS256')),
    public_jwk   jsonb NOT NULL,
    private_jwk  jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    retired_at   timestamptz
);
CREATE INDEX oauth_signing_keys_published ON oauth_signing_keys (created_at DESC)
    WHERE retired_at IS NULL;

-- The registered purposes of processing (UU 27/2022): a partner names one with each request.
CREATE TABLE oauth_purposes (
    code         text PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    description  text NOT NULL CHECK (description <> ''),
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- OAuth clients (partners, the super-app backend). secret_hash is scrypt with a salt per
-- client (hub/auth/client_secrets.py); the secret itself is shown once and never stored.
CREATE TABLE oauth_clients (
    client_id    text PRIMARY KEY,
    name         text NOT NULL CHECK (name <> ''),
    secret_hash  text NOT NULL,
    scopes       text[] NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

-- Which purposes a client may declare, and the subset of its scopes each one allows.
CREATE TABLE oauth_client_purposes (
    client_id    text NOT NULL REFERENCES oauth_clients ON DELETE CASCADE,
    purpose      text NOT NULL REFERENCES oauth_purposes (code),
    scopes       text[] NOT NULL,
    PRIMARY KEY (client_id, purpose)
);

-- Secrets the hub generates for itself on first use. 'citizen-subject' keys the HMAC that
-- turns a NIK into the pseudonymous `sub` of citizen tokens; it only keeps the NIK out of
-- the subject (the token's own `nik` claim carries it), so it is stored in clear.
CREATE TABLE oauth_hub_secrets (
    name         text PRIMARY KEY,
    value        bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
