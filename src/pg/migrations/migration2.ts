/** Migration 2 (2_functions), frozen: the text a release ran. Never edit it; a change is a new migration. */
export const name = "2_functions"

/** The SQL, with __schema__ standing for the context's schema. */
export const text = `
-- Applies a batch of handled messages in one transaction. For each item: a message already processed is a
-- duplicate (nothing applied); a moved version is a conflict (nothing applied); otherwise state, audit entry,
-- outbox rows and the inbox mark are written together.
CREATE FUNCTION "__schema__".commit_batch(items jsonb)
RETURNS TABLE (idx integer, outcome text, new_version bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  item jsonb;
  i integer := 0;
  cur bigint;
  done timestamptz;
  wrote_outbox boolean := false;
  next_version bigint;
BEGIN
  FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
    idx := i;
    i := i + 1;
    SELECT processed_at INTO done FROM "__schema__".inbox WHERE message_id = item->>'message_id';
    IF done IS NOT NULL THEN
      outcome := 'duplicate'; new_version := NULL; RETURN NEXT; CONTINUE;
    END IF;
    SELECT version INTO cur FROM "__schema__".state WHERE key = item->>'key' FOR UPDATE;
    IF coalesce(cur, 0) <> (item->>'expected')::bigint THEN
      outcome := 'conflict'; new_version := coalesce(cur, 0); RETURN NEXT; CONTINUE;
    END IF;
    next_version := coalesce(cur, 0);
    IF jsonb_typeof(item->'state') IS DISTINCT FROM 'null' AND item ? 'state' THEN
      next_version := next_version + 1;
      INSERT INTO "__schema__".state (key, version, state) VALUES (item->>'key', next_version, item->'state')
      ON CONFLICT (key) DO UPDATE SET version = excluded.version, state = excluded.state, updated_at = now();
    END IF;
    INSERT INTO "__schema__".audit (key, message_id, message, events, commands, state_changed, version)
    VALUES (item->>'key', item->>'message_id', item->'message', item->'events', item->'commands',
            next_version <> coalesce(cur, 0), next_version);
    IF jsonb_array_length(item->'outbox') > 0 THEN
      INSERT INTO "__schema__".outbox (destination, key, message_id, type, envelope)
      SELECT o->>'destination', o->>'key', o->>'message_id', o->>'type', o->'envelope'
      FROM jsonb_array_elements(item->'outbox') AS o
      ON CONFLICT (destination, message_id) DO NOTHING;
      wrote_outbox := true;
    END IF;
    INSERT INTO "__schema__".inbox (message_id, key, type, envelope, source, processed_at)
    VALUES (item->>'message_id', item->>'key', item->'message'->>'type', item->'message', 'direct', now())
    ON CONFLICT (message_id) DO UPDATE SET processed_at = now();
    outcome := 'committed'; new_version := next_version; RETURN NEXT;
  END LOOP;
  IF wrote_outbox THEN
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
