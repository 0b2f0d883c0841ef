-- The disclosure log written by several writers, each with its own chain, and the
-- consent each row was read under.
--
-- Until now one chain ran through the whole table: disclosures_append took one advisory
-- lock, read the head, hashed each row in plpgsql and inserted, so every request of
-- every process waited for every other. From here on:
--   * each writer (one per hub process: hub/audit/writer.py) keeps its own chain, named
--     by `writer`, numbered by `writer_seq` from 1; it hashes its rows itself and hands
--     a whole batch of requests to disclosures_append in one statement;
--   * disclosures_append still is the only way in (SECURITY DEFINER, the app role holds
--     nothing else). It takes no lock: it numbers the rows after the writer's head as
--     stored, checks that the batch chains onto that head and that its time is the
--     server's clock; UNIQUE (writer, writer_seq) refuses a second append onto the same
--     head, so a chain can fail a write, never fork. It does not hash the rows again:
--     whoever may call it may compute a row's hash as well, so a second computation in
--     the database would vouch for nothing, and would cost the database per row what
--     the writers now spend in their own processes. `citizen-hub audit verify`
--     recomputes every hash, independently, and the signed checkpoints anchor them;
--   * `seq` stays the table's order across writers (newest first in a citizen's access
--     log), now from a sequence: it may skip a number where an append failed;
--   * `consent_id` names the citizen's consent an app read under (NULL for partners
--     and the city's own apps), and is part of the chained content;
--   * the rows written before this migration keep their chain and its encoding v1
--     (writer and writer_seq NULL, seq with no gaps): they are not touched.
--
-- Encoding v2 (rows with a writer; v1 is in 003_audit.sql):
--   row_hash = SHA-256("citizen-hub disclosure v2" || prev_hash || T(writer) || T(at)
--              || T(request_id) || T(client_id) || T(subject) || T(purpose)
--              || T(consent_id) || T(nik) || A(sources) || A(fields))
--   T(NULL) = FF FF FF FF; T(s) = uint32 big-endian byte length of UTF-8(s) || UTF-8(s)
--   at is written as text, UTC, 'YYYY-MM-DDTHH:MM:SS.ffffffZ'
--   A(list) = uint32 big-endian count || T(element) for each element in order
-- A writer's first row has prev_hash = 32 zero bytes; seq and writer_seq are not hashed.
-- disclosure_row_hash_v2 below computes it in SQL, for the owner (as disclosure_row_hash
-- does v1): the encoding stated in the database, beside hub/audit/chain.py.

ALTER TABLE disclosures
    ADD COLUMN writer      text CHECK (writer <> ''),
    ADD COLUMN writer_seq  bigint CHECK (writer_seq > 0),
    ADD COLUMN consent_id  text,
    ADD CONSTRAINT disclosures_writer_numbered CHECK ((writer IS NULL) = (writer_seq IS NULL)),
    ADD CONSTRAINT disclosures_one_chain_per_writer UNIQUE (writer, writer_seq);

CREATE SEQUENCE disclosures_seq OWNED BY disclosures.seq;
SELECT setval('disclosures_seq', coalesce((SELECT max(seq) FROM disclosures), 0) + 1, false);

CREATE FUNCTION disclosure_row_hash_v2(
    p_prev_hash bytea, p_writer text, p_at timestamptz, p_request_id text, p_client_id text,
    p_subject text, p_purpose text, p_consent_id text, p_nik text, p_sources text[],
    p_fields text[]
) RETURNS bytea
LANGUAGE sql STABLE AS $$
    SELECT sha256(
        convert_to('citizen-hub disclosure v2', 'UTF8')
        || p_prev_hash
        || disclosure_text(p_writer)
        || disclosure_text(to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        || disclosure_text(p_request_id) || disclosure_text(p_client_id)
        || disclosure_text(p_subject) || disclosure_text(p_purpose)
        || disclosure_text(p_consent_id) || disclosure_text(p_nik)
        || disclosure_texts(p_sources) || disclosure_texts(p_fields)
    )
$$;

-- The single-chain append, with its lock, is gone: nobody may write a v1 row any more.
DROP FUNCTION disclosures_append(text, text, text, text, jsonb);

-- Appends a batch of rows to the chain of p_writer; returns the writer_seq of its last
-- row. p_prev is the row_hash of the writer's head the batch was chained onto (32 zero
-- bytes for a new writer); p_at the batch's time; p_rows a JSON array of
-- [request_id, client_id, subject, purpose, consent_id, nik, [sources], [fields],
--  row_hash as hex], in chain order.
CREATE FUNCTION disclosures_append(p_writer text, p_prev bytea, p_at timestamptz, p_rows jsonb)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    clock     timestamptz := clock_timestamp();
    head_seq  bigint;
    head_hash bytea;
    head_at   timestamptz;
BEGIN
    IF p_writer IS NULL OR p_writer !~ '^[A-Za-z0-9._:/-]{1,120}$' THEN
        RAISE EXCEPTION 'disclosures_append: the writer id must be 1-120 of A-Z a-z 0-9 . _ : / -'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_typeof(p_rows) IS DISTINCT FROM 'array' OR jsonb_array_length(p_rows) = 0 THEN
        RAISE EXCEPTION 'disclosures_append: p_rows must be a non-empty JSON array'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- (A row_hash that is not 64 hex digits fails decode() or the column's CHECK.)
    IF EXISTS (
        SELECT FROM jsonb_array_elements(p_rows) AS e(v)
        WHERE jsonb_typeof(v) IS DISTINCT FROM 'array' OR jsonb_array_length(v) <> 9
           OR jsonb_typeof(v->0) <> 'string' OR jsonb_typeof(v->1) NOT IN ('string', 'null')
           OR jsonb_typeof(v->2) NOT IN ('string', 'null')
           OR jsonb_typeof(v->3) NOT IN ('string', 'null')
           OR jsonb_typeof(v->4) NOT IN ('string', 'null')
           OR jsonb_typeof(v->5) <> 'string' OR jsonb_typeof(v->6) <> 'array'
           OR jsonb_typeof(v->7) <> 'array' OR jsonb_typeof(v->8) <> 'string'
    ) THEN
        RAISE EXCEPTION 'disclosures_append: each row must be [request_id, client_id, subject,'
            ' purpose, consent_id, nik, [sources], [fields], row_hash hex]'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The writer stamps its batch just before sending it: a time far from the server's
    -- clock is a backdated (or forward-dated) row, refused.
    IF p_at IS NULL OR p_at > clock + interval '5 seconds'
       OR p_at < clock - interval '30 seconds' THEN
        RAISE EXCEPTION 'disclosures_append: the batch time is not the server''s clock'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT d.writer_seq, d.row_hash, d.at INTO head_seq, head_hash, head_at
    FROM disclosures d WHERE d.writer = p_writer ORDER BY d.writer_seq DESC LIMIT 1;
    head_seq := coalesce(head_seq, 0);
    head_hash := coalesce(head_hash, decode(repeat('00', 32), 'hex'));
    IF p_prev IS DISTINCT FROM head_hash THEN
        RAISE EXCEPTION 'disclosures_append: the batch does not chain onto writer %''s head (seq %)',
            p_writer, head_seq USING ERRCODE = 'serialization_failure';
    END IF;
    IF p_at < head_at THEN
        RAISE EXCEPTION 'disclosures_append: the batch is older than the writer''s head'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Row i's prev_hash is row i-1's row_hash (p_prev for the first): the batch is a
    -- chain by construction, and its first link is the head just checked.
    INSERT INTO disclosures
        (seq, at, request_id, client_id, subject, purpose, consent_id, nik, sources, fields,
         prev_hash, row_hash, writer, writer_seq)
    SELECT nextval('disclosures_seq'), p_at, o.v->>0, o.v->>1, o.v->>2, o.v->>3, o.v->>4,
           o.v->>5, disclosure_text_array(o.v->6), disclosure_text_array(o.v->7),
           o.prev, o.h, p_writer, head_seq + o.i
    FROM (
        SELECT e.i, e.v, decode(e.v->>8, 'hex') AS h,
               lag(decode(e.v->>8, 'hex'), 1, p_prev) OVER (ORDER BY e.i) AS prev
        FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS e(v, i)
        ORDER BY e.i
    ) o;
    RETURN head_seq + jsonb_array_length(p_rows);
END
$$;

DO $$
BEGIN
    EXECUTE format(
        'ALTER FUNCTION disclosures_append(text, bytea, timestamptz, jsonb)'
        ' SET search_path = pg_catalog, %I, pg_temp',
        current_schema());
END
$$;

REVOKE ALL ON FUNCTION disclosures_append(text, bytea, timestamptz, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION disclosure_row_hash_v2(bytea, text, timestamptz, text, text, text, text,
                                              text, text, text[], text[]) FROM PUBLIC;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'citizen_hub_app') THEN
        GRANT EXECUTE ON FUNCTION disclosures_append(text, bytea, timestamptz, jsonb)
            TO citizen_hub_app;
    END IF;
END
$$;
