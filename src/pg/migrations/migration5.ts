/** Migration 5 (5_commit_into_inboxes), frozen: the text a release ran. Never edit it; a change is a new migration. */
export const name = "5_commit_into_inboxes"

/** The SQL, with __schema__ standing for the context's schema. */
export const text = `
CREATE INDEX outbox_pending_key ON "__schema__".outbox (destination, key, id)
  WHERE delivered_at IS NULL AND parked_at IS NULL;

CREATE OR REPLACE FUNCTION "__schema__".accept(rows jsonb, source text) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  -- plpgsql, not sql: its statement's plan is kept for the session.
  INSERT INTO "__schema__".inbox (message_id, key, type, envelope, source)
  SELECT r->>'message_id', r->>'key', r->>'type', r->'envelope', accept.source
  FROM jsonb_array_elements(rows) WITH ORDINALITY AS t(r, ord) ORDER BY ord
  ON CONFLICT (message_id) DO NOTHING;
END
$fn$;

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
    ELSE
      SELECT coalesce(jsonb_agg(r ORDER BY ord) FILTER (WHERE NOT blocked), '[]'::jsonb),
             coalesce(jsonb_agg(r ORDER BY ord) FILTER (WHERE blocked), '[]'::jsonb)
      INTO go, wait
      FROM (
        SELECT r, ord, EXISTS (
          SELECT 1 FROM "__schema__".outbox ob WHERE ob.destination = dest AND ob.key = r->>'key'
            AND ob.delivered_at IS NULL AND ob.parked_at IS NULL) AS blocked
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

-- Moves committed outbox rows into their destinations' inboxes, in id order, marking them delivered, in one
-- transaction. One mover per source at a time keeps per-key order; a destination whose inbox does not exist
-- yet leaves its rows pending (and parks them after max_attempts tries).
CREATE OR REPLACE FUNCTION "__schema__".relay_outbox(batch integer, max_attempts integer, prefix text)
RETURNS TABLE (moved integer, destinations text[])
LANGUAGE plpgsql AS $fn$
DECLARE
  dest text;
  n integer := 0;
  c integer;
  dests text[] := '{}';
  claimed bigint[];
BEGIN
  -- Moving is idempotent and atomic: a move lost in a crash leaves its rows pending to be moved again, and the
  -- consumer's own (synchronous) commit flushes the WAL past it anyway. So the mover does not wait for its flush.
  PERFORM set_config('synchronous_commit', 'off', true);
  moved := 0; destinations := dests;
  IF NOT pg_try_advisory_xact_lock(hashtext('mailroom:relay:__schema__')) THEN
    RETURN NEXT; RETURN;
  END IF;
  SELECT array_agg(id ORDER BY id) INTO claimed FROM (
    SELECT o.id FROM "__schema__".outbox o WHERE o.delivered_at IS NULL AND o.parked_at IS NULL
    ORDER BY o.id LIMIT batch FOR UPDATE SKIP LOCKED
  ) picked;
  IF claimed IS NULL THEN
    RETURN NEXT; RETURN;
  END IF;
  FOR dest IN SELECT DISTINCT o.destination FROM "__schema__".outbox o WHERE o.id = ANY(claimed) LOOP
    IF to_regclass(format('%I.inbox', prefix || dest)) IS NULL THEN
      UPDATE "__schema__".outbox SET attempts = attempts + 1,
        last_error = format('destination %s has no inbox (not migrated yet?)', dest),
        parked_at = CASE WHEN attempts + 1 >= max_attempts THEN now() ELSE NULL END
      WHERE id = ANY(claimed) AND destination = dest;
      CONTINUE;
    END IF;
    EXECUTE format(
      'INSERT INTO %I.inbox (message_id, key, type, envelope, source)
       SELECT message_id, key, type, envelope, %L FROM "__schema__".outbox
       WHERE id = ANY($1) AND destination = %L ORDER BY id
       ON CONFLICT (message_id) DO NOTHING', prefix || dest, '__schema__', dest) USING claimed;
    UPDATE "__schema__".outbox SET delivered_at = now(), attempts = attempts + 1
    WHERE id = ANY(claimed) AND destination = dest;
    GET DIAGNOSTICS c = ROW_COUNT;
    n := n + c;
    dests := dests || dest;
    PERFORM pg_notify('mailroom', 'inbox:' || prefix || dest);
  END LOOP;
  moved := n; destinations := dests; RETURN NEXT;
END
$fn$;
`
