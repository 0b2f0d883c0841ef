-- The disclosure log: a row per citizen disclosed per request, append-only and
-- hash-chained (hub/audit/chain.py documents the encoding and verifies it).

CREATE TABLE disclosures (
    seq         bigint      PRIMARY KEY CHECK (seq > 0),  -- 1, 2, 3, ... with no gaps
    at          timestamptz NOT NULL,
    request_id  text        NOT NULL,
    client_id   text,
    subject     text,
    purpose     text,
    nik         text        NOT NULL,
    sources     text[]      NOT NULL
        CHECK (coalesce(array_ndims(sources), 1) = 1 AND array_position(sources, NULL) IS NULL),
    fields      text[]      NOT NULL
        CHECK (coalesce(array_ndims(fields), 1) = 1 AND array_position(fields, NULL) IS NULL),
    prev_hash   bytea       NOT NULL CHECK (octet_length(prev_hash) = 32),
    row_hash    bytea       NOT NULL UNIQUE CHECK (octet_length(row_hash) = 32)
);

-- Citizen.accessLog: the latest rows of each NIK.
CREATE INDEX disclosures_by_nik ON disclosures (nik, seq DESC);

-- The canonical encoding, v1 (the same as hub/audit/chain.py, which verifies it):
--   row_hash = SHA-256("citizen-hub disclosure v1" || prev_hash || T(at) || T(request_id)
--              || T(client_id) || T(subject) || T(purpose) || T(nik) || A(sources) || A(fields))
--   T(NULL) = FF FF FF FF; T(s) = uint32 big-endian byte length of UTF-8(s) || UTF-8(s)
--   at is written as text, UTC, 'YYYY-MM-DDTHH:MM:SS.ffffffZ'
--   A(list) = uint32 big-endian count || T(element) for each element in order
-- seq is not hashed: a row's place is proven by its prev_hash link instead.
CREATE FUNCTION disclosure_text(value text) RETURNS bytea
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN value IS NULL THEN decode('ffffffff', 'hex')
           ELSE int4send(octet_length(convert_to(value, 'UTF8'))) || convert_to(value, 'UTF8')
           END
$$;

CREATE FUNCTION disclosure_texts(vals text[]) RETURNS bytea
LANGUAGE sql STABLE AS $$
    SELECT int4send(coalesce(cardinality(vals), 0))
        || coalesce((SELECT string_agg(disclosure_text(u.v), ''::bytea ORDER BY u.i)
                     FROM unnest(vals) WITH ORDINALITY AS u(v, i)), ''::bytea)
$$;

CREATE FUNCTION disclosure_row_hash(
    p_prev_hash bytea, p_at timestamptz, p_request_id text, p_client_id text,
    p_subject text, p_purpose text, p_nik text, p_sources text[], p_fields text[]
) RETURNS bytea
LANGUAGE sql STABLE AS $$
    SELECT sha256(
        convert_to('citizen-hub disclosure v1', 'UTF8')
        || p_prev_hash
        || disclosure_text(to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        || disclosure_text(p_request_id) || disclosure_text(p_client_id)
        || disclosure_text(p_subject) || disclosure_text(p_purpose) || disclosure_text(p_nik)
        || disclosure_texts(p_sources) || disclosure_texts(p_fields)
    )
$$;

CREATE FUNCTION disclosure_text_array(value jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(e.v ORDER BY e.i), '{}')
    FROM jsonb_array_elements_text(value) WITH ORDINALITY AS e(v, i)
$$;

-- Appends the rows of one request, chained after the current head; returns the
-- last seq written. p_rows is a JSON array of [nik, [source, ...], [field, ...]].
--
-- Called as ONE statement per request. The advisory lock serializes writers for
-- the rest of the caller's transaction, so the head read below (a new snapshot:
-- each statement of a plpgsql function takes one under READ COMMITTED) is the
-- latest committed row. Should a caller run it under REPEATABLE READ, a stale
-- head would repeat a seq and the primary key would refuse the append: the
-- chain can fail a write, never fork.
CREATE FUNCTION disclosures_append(
    p_request_id text, p_client_id text, p_subject text, p_purpose text, p_rows jsonb
) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    head_seq  bigint;
    head_hash bytea;
    stamp     timestamptz;
    item      jsonb;
    seqs      bigint[] := '{}';
    prevs     bytea[] := '{}';
    hashes    bytea[] := '{}';
    niks      text[] := '{}';
    srcs      jsonb[] := '{}';
    flds      jsonb[] := '{}';
BEGIN
    PERFORM pg_advisory_xact_lock(27980790484986228);  -- b'chaudit'
    SELECT d.seq, d.row_hash INTO head_seq, head_hash
    FROM disclosures d ORDER BY d.seq DESC LIMIT 1;
    head_seq := coalesce(head_seq, 0);
    head_hash := coalesce(head_hash, decode(repeat('00', 32), 'hex'));
    stamp := clock_timestamp();  -- after the lock, so time follows seq
    FOR item IN SELECT e.v FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS e(v, i)
                ORDER BY e.i
    LOOP
        prevs := prevs || head_hash;
        head_seq := head_seq + 1;
        head_hash := disclosure_row_hash(
            head_hash, stamp, p_request_id, p_client_id, p_subject, p_purpose,
            item->>0, disclosure_text_array(item->1), disclosure_text_array(item->2));
        seqs := seqs || head_seq;
        hashes := hashes || head_hash;
        niks := niks || (item->>0);
        srcs := srcs || (item->1);
        flds := flds || (item->2);
    END LOOP;
    INSERT INTO disclosures
        (seq, at, request_id, client_id, subject, purpose, nik, sources, fields,
         prev_hash, row_hash)
    SELECT u.seq, stamp, p_request_id, p_client_id, p_subject, p_purpose, u.nik,
           disclosure_text_array(u.src), disclosure_text_array(u.fld), u.prev, u.hash
    FROM unnest(seqs, niks, srcs, flds, prevs, hashes) AS u(seq, nik, src, fld, prev, hash);
    RETURN head_seq;
END
$$;

-- Append-only for everyone, the owner included: only an ALTER TABLE ... DISABLE
-- TRIGGER by the owner or a superuser gets past this, and the chain shows it.
CREATE FUNCTION disclosures_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'disclosures is append-only: % refused', TG_OP
        USING HINT = 'the disclosure log is hash-chained; record a correction as a new row';
END
$$;

CREATE TRIGGER disclosures_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON disclosures
    FOR EACH STATEMENT EXECUTE FUNCTION disclosures_refuse_change();

-- The application role: reads and appends, never updates or deletes. The hub's
-- audit pool switches to it with SET ROLE (hub/audit/pool.py). Roles belong to
-- the whole server, so a login that may not create roles skips this step.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'citizen_hub_app') THEN
        CREATE ROLE citizen_hub_app NOLOGIN;
    END IF;
EXCEPTION
    WHEN insufficient_privilege THEN
        RAISE NOTICE 'role citizen_hub_app not created (%): the hub writes the disclosure log with its login role', SQLERRM;
    WHEN duplicate_object OR unique_violation THEN
        NULL;  -- another database of this server created it meanwhile
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'citizen_hub_app') THEN
        GRANT SELECT, INSERT ON disclosures TO citizen_hub_app;
        BEGIN
            -- So the login that migrates (and serves) may SET ROLE to it.
            GRANT citizen_hub_app TO CURRENT_USER;
        EXCEPTION WHEN OTHERS THEN  -- best effort: an operator can grant it instead
            RAISE NOTICE 'citizen_hub_app not granted to % (%): grant it to the hub''s login role',
                CURRENT_USER, SQLERRM;
        END;
    END IF;
END
$$;
