/** Migration 3 (3_leaner_commit), frozen: the text a release ran. Never edit it; a change is a new migration. */
export const name = "3_leaner_commit"

/** The SQL, with __schema__ standing for the context's schema. */
export const text = `
CREATE OR REPLACE FUNCTION "__schema__".commit_batch(items jsonb)
RETURNS TABLE (idx integer, outcome text, new_version bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  item jsonb;
  i integer := 0;
  expected bigint;
  cur bigint;
  fresh boolean;
  changed boolean;
  n integer;
  wrote_outbox boolean := false;
BEGIN
  FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
    idx := i;
    i := i + 1;
    expected := (item->>'expected')::bigint;
    INSERT INTO "__schema__".inbox AS box (message_id, key, type, envelope, source, processed_at)
    VALUES (item->>'message_id', item->>'key', item->'message'->>'type', item->'message', 'direct', now())
    ON CONFLICT (message_id) DO UPDATE SET processed_at = now() WHERE box.processed_at IS NULL
    RETURNING (xmax = 0) INTO fresh;
    IF NOT FOUND THEN
      outcome := 'duplicate'; new_version := NULL; RETURN NEXT; CONTINUE;
    END IF;
    changed := item ? 'state' AND jsonb_typeof(item->'state') <> 'null';
    IF changed AND expected = 0 THEN
      INSERT INTO "__schema__".state (key, version, state) VALUES (item->>'key', 1, item->'state') ON CONFLICT (key) DO NOTHING;
      GET DIAGNOSTICS n = ROW_COUNT;
    ELSIF changed THEN
      UPDATE "__schema__".state SET version = expected + 1, state = item->'state', updated_at = now()
      WHERE key = item->>'key' AND version = expected;
      GET DIAGNOSTICS n = ROW_COUNT;
    ELSE
      SELECT version INTO cur FROM "__schema__".state WHERE key = item->>'key';
      n := CASE WHEN coalesce(cur, 0) = expected THEN 1 ELSE 0 END;
    END IF;
    IF n = 0 THEN
      -- Another writer moved the key: give the claim back, apply nothing.
      IF fresh THEN
        DELETE FROM "__schema__".inbox WHERE message_id = item->>'message_id';
      ELSE
        UPDATE "__schema__".inbox SET processed_at = NULL WHERE message_id = item->>'message_id';
      END IF;
      SELECT version INTO cur FROM "__schema__".state WHERE key = item->>'key';
      outcome := 'conflict'; new_version := coalesce(cur, 0); RETURN NEXT; CONTINUE;
    END IF;
    new_version := CASE WHEN changed THEN expected + 1 ELSE expected END;
    INSERT INTO "__schema__".audit (key, message_id, message, events, commands, state_changed, version)
    VALUES (item->>'key', item->>'message_id', item->'message', item->'events', item->'commands', changed, new_version);
    IF jsonb_array_length(item->'outbox') > 0 THEN
      INSERT INTO "__schema__".outbox (destination, key, message_id, type, envelope)
      SELECT o->>'destination', o->>'key', o->>'message_id', o->>'type', o->'envelope'
      FROM jsonb_array_elements(item->'outbox') AS o
      ON CONFLICT (destination, message_id) DO NOTHING;
      wrote_outbox := true;
    END IF;
    outcome := 'committed'; RETURN NEXT;
  END LOOP;
  IF wrote_outbox THEN
    PERFORM pg_notify('mailroom', 'outbox:__schema__');
  END IF;
END
$fn$;
`
