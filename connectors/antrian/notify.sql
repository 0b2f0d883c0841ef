-- The one object the hub adds to the Antrian database, and only when an operator runs
-- `citizen-hub antrian install-notify`: a trigger that tells listeners which ticket
-- changed, so the hub's live views need not poll. It writes nothing and changes no
-- row: the product works the same with or without it (`uninstall-notify` removes it).
-- The payload is the id alone; a listener reads the ticket (the channel is not private).
CREATE OR REPLACE FUNCTION citizen_hub_tiket_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- UPDATE OF fires when a column is set, even to its own value: only a real change.
    IF TG_OP = 'INSERT'
       OR OLD.status IS DISTINCT FROM NEW.status
       OR OLD.kode_loket IS DISTINCT FROM NEW.kode_loket THEN
        PERFORM pg_notify('antrian_tiket', NEW.id_tiket::text);
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS citizen_hub_tiket_notify ON tiket;
CREATE TRIGGER citizen_hub_tiket_notify
    AFTER INSERT OR UPDATE OF status, kode_loket ON tiket
    FOR EACH ROW EXECUTE FUNCTION citizen_hub_tiket_notify();
