/** Migration 4 (4_commit_and_relay), frozen: the text a release ran. Never edit it; a change is a new migration. */
export const name = "4_commit_and_relay"

/** The SQL, with __schema__ standing for the context's schema. */
export const text = `
CREATE OR REPLACE FUNCTION "__schema__".commit_batch_relayed(items jsonb, prefix text)
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
  dest text;
  left_behind boolean := false;
  ids text[];
  moved integer;
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
  IF NOT wrote_outbox THEN
    RETURN;
  END IF;
  -- The relay's first step, done in this transaction: hand this batch's outbox rows straight to their
  -- destinations' inboxes (same database), unless an older row of the same destination and key is still
  -- waiting (per-key order) or the destination has no inbox yet. What is left behind goes the usual way.
  FOR dest IN
    SELECT DISTINCT o->>'destination' FROM jsonb_array_elements(items) AS it, jsonb_array_elements(it->'outbox') AS o
  LOOP
    SELECT array_agg(o->>'message_id') INTO ids
    FROM jsonb_array_elements(items) AS it, jsonb_array_elements(it->'outbox') AS o WHERE o->>'destination' = dest;
    IF to_regclass(format('%I.inbox', prefix || dest)) IS NULL THEN
      left_behind := true;
      CONTINUE;
    END IF;
    EXECUTE format(
      'WITH mine AS (
         SELECT ob.id, ob.key FROM "__schema__".outbox ob
         WHERE ob.destination = $1 AND ob.message_id = ANY($2) AND ob.delivered_at IS NULL AND ob.parked_at IS NULL
       ), movable AS (
         SELECT m.id FROM mine m WHERE NOT EXISTS (
           SELECT 1 FROM "__schema__".outbox older
           WHERE older.destination = $1 AND older.key = m.key AND older.id < m.id
             AND older.delivered_at IS NULL AND older.parked_at IS NULL
             AND older.id NOT IN (SELECT id FROM mine))
       ), moved AS (
         UPDATE "__schema__".outbox SET delivered_at = now(), attempts = attempts + 1
         WHERE id IN (SELECT id FROM movable)
         RETURNING id, key, message_id, type, envelope
       ), inserted AS (
         INSERT INTO %I.inbox (message_id, key, type, envelope, source)
         SELECT message_id, key, type, envelope, %L FROM moved ORDER BY id
         ON CONFLICT (message_id) DO NOTHING
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM moved)::integer', prefix || dest, '__schema__')
    INTO moved USING dest, ids;
    IF moved < array_length(ids, 1) THEN
      left_behind := true;
    END IF;
    IF moved > 0 THEN
      PERFORM pg_notify('mailroom', 'inbox:' || prefix || dest);
    END IF;
  END LOOP;
  IF left_behind THEN
    PERFORM pg_notify('mailroom', 'outbox:__schema__');
  END IF;
END
$fn$;
`
