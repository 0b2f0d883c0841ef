-- Citizens signing in to apps (hub/oauth): the authorization code flow with PKCE, refresh
-- tokens, the citizen's consent, and the hub's own sign-in (development or the city's
-- OpenID provider). Every code, token, session and challenge is stored as the SHA-256 of
-- its value, never the value: whoever reads these tables cannot use what they read.
--
-- Times that decide (expires_at) are written from the hub's clock, and compared with it.

-- Public clients (a browser or phone app: no secret, PKCE), their exact redirect URIs,
-- and first-party clients (the city's own apps: no consent page).
ALTER TABLE oauth_clients
    ADD COLUMN public        boolean NOT NULL DEFAULT false,
    ADD COLUMN redirect_uris text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN first_party   boolean NOT NULL DEFAULT false;

-- A citizen's consent to one app, for one of its registered purposes, to some scopes.
-- The citizen is named by the pseudonym of citizen tokens' `sub` (hub/auth/tokens.py
-- citizen_pseudonym), not by the NIK. A new decision replaces the active consent
-- (replaced_by); withdrawing ends it (withdrawn_at); both keep the row, so the
-- disclosure log can name the consent it was made under.
CREATE TABLE oauth_consents (
    id            text PRIMARY KEY,
    subject       text NOT NULL,
    client_id     text NOT NULL REFERENCES oauth_clients ON DELETE CASCADE,
    purpose       text NOT NULL REFERENCES oauth_purposes (code),
    scopes        text[] NOT NULL CHECK (cardinality(scopes) > 0),
    granted_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    withdrawn_at  timestamptz,
    replaced_by   text REFERENCES oauth_consents
);
CREATE UNIQUE INDEX oauth_consents_active ON oauth_consents (subject, client_id, purpose)
    WHERE withdrawn_at IS NULL AND replaced_by IS NULL;

-- One sign-in of a citizen into an app: the family of refresh tokens rotated from the
-- first, and the access tokens they bought (their `sid` claim). Revoking it (the refresh
-- token replayed, the app revoking, the citizen withdrawing consent) refuses them all.
-- The NIK is kept because every new access token carries it (claim `nik`).
CREATE TABLE oauth_grants (
    id              text PRIMARY KEY,
    client_id       text NOT NULL REFERENCES oauth_clients ON DELETE CASCADE,
    subject         text NOT NULL,
    nik             text NOT NULL,
    scopes          text[] NOT NULL,
    purpose         text NOT NULL,
    consent_id      text REFERENCES oauth_consents,  -- NULL: a first-party client
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_reason  text
);
CREATE INDEX oauth_grants_of_subject ON oauth_grants (subject, client_id)
    WHERE revoked_at IS NULL;

CREATE TABLE oauth_refresh_tokens (
    token_hash  bytea PRIMARY KEY,
    grant_id    text NOT NULL REFERENCES oauth_grants ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    used_at     timestamptz  -- rotated: presenting it again revokes its grant
);
CREATE INDEX oauth_refresh_tokens_of_grant ON oauth_refresh_tokens (grant_id);

-- Authorization codes: single use, short-lived, bound to the client, the redirect URI,
-- the PKCE challenge (S256), the citizen, the scopes and the purpose.
CREATE TABLE oauth_authorization_codes (
    code_hash       bytea PRIMARY KEY,
    client_id       text NOT NULL REFERENCES oauth_clients ON DELETE CASCADE,
    redirect_uri    text,  -- as the request named it; NULL when it named none
    code_challenge  text NOT NULL,
    code_challenge_method text NOT NULL CHECK (code_challenge_method = 'S256'),
    subject         text NOT NULL,
    nik             text NOT NULL,
    scopes          text[] NOT NULL,
    purpose         text NOT NULL,
    consent_id      text REFERENCES oauth_consents,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    grant_id        text  -- the grant its exchange started (revoked if it is replayed)
);

-- A citizen signed in at the hub (a cookie holds the value), so that a second app, or the
-- same one again, does not ask for the sign-in again while it lasts.
CREATE TABLE oauth_sessions (
    id_hash     bytea PRIMARY KEY,
    subject     text NOT NULL,
    nik         text NOT NULL,
    method      text NOT NULL CHECK (method IN ('development', 'upstream')),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    ended_at    timestamptz
);

-- The development sign-in's one-time codes, as an SMS gateway would deliver them.
CREATE TABLE oauth_sign_in_challenges (
    id_hash     bytea PRIMARY KEY,
    subject     text NOT NULL,
    nik         text NOT NULL,
    code_hash   bytea NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX oauth_sign_in_challenges_of_subject ON oauth_sign_in_challenges (subject, created_at);

-- Failed sign-in steps, to limit attempts per citizen (`nik:<pseudonym>`) and per address
-- (`ip:<keyed hash>`) within a window.
CREATE TABLE oauth_sign_in_failures (
    key  text NOT NULL,
    at   timestamptz NOT NULL
);
CREATE INDEX oauth_sign_in_failures_by_key ON oauth_sign_in_failures (key, at);

-- Sign-ins in flight at the city's OpenID provider: state (its hash is the key), nonce and
-- PKCE verifier, and where to go back once signed in.
CREATE TABLE oauth_upstream_states (
    state_hash     bytea PRIMARY KEY,
    nonce          text NOT NULL,
    code_verifier  text NOT NULL,
    next_url       text NOT NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz
);
