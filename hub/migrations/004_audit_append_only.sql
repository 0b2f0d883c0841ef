-- The disclosure log's writer may only append through disclosures_append (issue 9).
--
-- Until now citizen_hub_app held INSERT on disclosures and every hashing function was
-- executable by PUBLIC, so the role could insert a backdated row blaming anyone and
-- chain it with disclosure_row_hash. From here on:
--   * citizen_hub_app holds SELECT on disclosures and EXECUTE on disclosures_append,
--     nothing else: no INSERT, and no hashing function of its own to call;
--   * disclosures_append runs as its owner (the role that migrates: SECURITY DEFINER,
--     search_path pinned) and sets seq, at (clock_timestamp()) and the hashes itself;
--     the caller passes only what the request disclosed;
--   * disclosure_chain names this chain in the signed checkpoints of its head that the
--     hub writes outside the database (hub/audit/checkpoint.py), against which
--     `citizen-hub audit verify` catches a tail rewritten even by a superuser.
--
-- The encoding of the chain is unchanged (v1, 003_audit.sql and hub/audit/chain.py):
--   row_hash = SHA-256("citizen-hub disclosure v1" || prev_hash || T(at) || T(request_id)
--              || T(client_id) || T(subject) || T(purpose) || T(nik) || A(sources) || A(fields))
--   T(NULL) = FF FF FF FF; T(s) = uint32 big-endian byte length of UTF-8(s) || UTF-8(s)
--   at is written as text, UTC, 'YYYY-MM-DDTHH:MM:SS.ffffffZ'
--   A(list) = uint32 big-endian count || T(element) for each element in order

-- One row: this chain's identity, written into every checkpoint, so a checkpoint of
-- another hub database is never taken for one of this chain.
CREATE TABLE disclosure_chain (
    chain_id    uuid        NOT NULL DEFAULT gen_random_uuid(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    single      boolean     PRIMARY KEY DEFAULT true CHECK (single)
);
INSERT INTO disclosure_chain DEFAULT VALUES;

-- Appends the rows of one request, chained after the current head; returns the last
-- seq written. p_rows is a JSON array of [nik, [source, ...], [field, ...]]; seq, at,
-- prev_hash and row_hash are the function's, never the caller's.
--
-- Called as ONE statement per request. The advisory lock serializes writers for the
-- rest of the caller's transaction, so the head read below (a new snapshot: each
-- statement of a plpgsql function takes one under READ COMMITTED) is the latest
-- committed row. Under REPEATABLE READ a stale head would repeat a seq and the primary
-- key would refuse the append: the chain can fail a write, never fork.
CREATE OR REPLACE FUNCTION disclosures_append(
    p_request_id text, p_client_id text, p_subject text, p_purpose text, p_rows jsonb
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER AS $$
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
    IF jsonb_typeof(p_rows) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'disclosures_append: p_rows must be a JSON array'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR item IN SELECT e.v FROM jsonb_array_elements(p_rows) AS e(v) LOOP
        IF jsonb_typeof(item) IS DISTINCT FROM 'array' OR jsonb_array_length(item) <> 3
           OR jsonb_typeof(item->0) <> 'string' OR jsonb_typeof(item->1) <> 'array'
           OR jsonb_typeof(item->2) <> 'array' THEN
            RAISE EXCEPTION 'disclosures_append: each row must be [nik, [sources], [fields]]'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
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

-- A SECURITY DEFINER function must not resolve names through the caller's search_path:
-- pin it to this schema (with pg_temp last, so no temporary object can shadow a name).
DO $$
BEGIN
    EXECUTE format(
        'ALTER FUNCTION disclosures_append(text, text, text, text, jsonb)'
        ' SET search_path = pg_catalog, %I, pg_temp',
        current_schema());
END
$$;

-- Nobody but the owner and citizen_hub_app may append; nobody but the owner may hash.
REVOKE ALL ON FUNCTION disclosures_append(text, text, text, text, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION disclosure_row_hash(bytea, timestamptz, text, text, text, text, text,
                                           text[], text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION disclosure_text(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION disclosure_texts(text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION disclosure_text_array(jsonb) FROM PUBLIC;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'citizen_hub_app') THEN
        REVOKE ALL ON disclosures FROM citizen_hub_app;
        GRANT SELECT ON disclosures TO citizen_hub_app;
        GRANT EXECUTE ON FUNCTION disclosures_append(text, text, text, text, jsonb)
            TO citizen_hub_app;
    END IF;
END
$$;
