/** Migration 6 (6_indexed_order_check), frozen: the text a release ran. Never edit it; a change is a new migration. */
export const name = "6_indexed_order_check"

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
  routed jsonb := '[]'::jsonb;
  go jsonb;
  wait jsonb;
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
    routed := routed || (item->'outbox');
    outcome := 'committed'; RETURN NEXT;
  END LOOP;
  IF jsonb_array_length(routed) = 0 THEN
    RETURN;
  END IF;
  FOR dest IN SELECT DISTINCT r->>'destination' FROM jsonb_array_elements(routed) AS r LOOP
    IF to_regprocedure(format('%I.accept(jsonb,text)', prefix || dest)) IS NULL THEN
      go := '[]'::jsonb;
      SELECT jsonb_agg(r ORDER BY ord) INTO wait
      FROM jsonb_array_elements(routed) WITH ORDINALITY AS t(r, ord) WHERE r->>'destination' = dest;
    ELSIF NOT EXISTS (
      SELECT 1 FROM "__schema__".outbox ob WHERE ob.destination = dest AND ob.delivered_at IS NULL AND ob.parked_at IS NULL
    ) THEN
      wait := '[]'::jsonb;
      SELECT jsonb_agg(r ORDER BY ord) INTO go
      FROM jsonb_array_elements(routed) WITH ORDINALITY AS t(r, ord) WHERE r->>'destination' = dest;
    ELSE
      SELECT coalesce(jsonb_agg(r ORDER BY ord) FILTER (WHERE NOT blocked), '[]'::jsonb),
             coalesce(jsonb_agg(r ORDER BY ord) FILTER (WHERE blocked), '[]'::jsonb)
      INTO go, wait
      FROM (
        SELECT r, ord, (
          SELECT 1 FROM "__schema__".outbox ob WHERE ob.destination = dest AND ob.key = r->>'key'
            AND ob.delivered_at IS NULL AND ob.parked_at IS NULL ORDER BY ob.destination, ob.key, ob.id LIMIT 1
        ) IS NOT NULL AS blocked
        FROM jsonb_array_elements(routed) WITH ORDINALITY AS t(r, ord) WHERE r->>'destination' = dest
      ) rows;
    END IF;
    IF jsonb_array_length(wait) > 0 THEN
      INSERT INTO "__schema__".outbox (destination, key, message_id, type, envelope)
      SELECT r->>'destination', r->>'key', r->>'message_id', r->>'type', r->'envelope'
      FROM jsonb_array_elements(wait) WITH ORDINALITY AS t(r, ord) ORDER BY ord
      ON CONFLICT (destination, message_id) DO NOTHING;
      left_behind := true;
    END IF;
    IF jsonb_array_length(go) > 0 THEN
      EXECUTE format('SELECT %I.accept($1, $2)', prefix || dest) USING go, '__schema__';
      PERFORM pg_notify('mailroom', 'inbox:' || prefix || dest);
    END IF;
  END LOOP;
  IF left_behind THEN
    PERFORM pg_notify('mailroom', 'outbox:__schema__');
  END IF;
END
$fn$;
`
