/** Migration 8 (8_scheduled_messages), frozen once released: never edit it then; a change is a new migration. */
export const name = "8_scheduled_messages"

/**
 * The SQL, with __schema__ standing for the context's schema. Messages scheduled for later are outbox rows with a due
 * time; the pending index of immediate rows leaves them out, and a second index orders them by due time.
 */
export const text = `
ALTER TABLE "__schema__".outbox ADD COLUMN due_at timestamptz;
ALTER TABLE "__schema__".audit ADD COLUMN scheduled jsonb, ADD COLUMN cancelled jsonb;
DROP INDEX IF EXISTS "__schema__".outbox_pending;
CREATE INDEX outbox_ready ON "__schema__".outbox (id)
  WHERE delivered_at IS NULL AND parked_at IS NULL AND due_at IS NULL;
CREATE INDEX outbox_due ON "__schema__".outbox (due_at, id)
  WHERE delivered_at IS NULL AND parked_at IS NULL AND due_at IS NOT NULL;
CREATE INDEX outbox_scheduled ON "__schema__".outbox (message_id) WHERE due_at IS NOT NULL;

-- commit_messages of migration 7, and per item: scheduled messages (item.scheduled: outbox rows with a due time,
-- item.scheduled_log: what the audit records) and cancellations (item.cancelled: ids of scheduled rows to delete, if
-- not yet forwarded), written in the same transaction; a transaction that schedules or cancels notifies the outbox's
-- relay. Scheduled rows never hold back the in-memory handover of other messages (they are not in order with them).
CREATE OR REPLACE FUNCTION "__schema__".commit_messages(items jsonb)
RETURNS TABLE (idx integer, outcome text, new_version bigint, written jsonb)
LANGUAGE plpgsql AS $fn$
DECLARE
  item jsonb;
  i integer := 0;
  expected bigint;
  cur bigint;
  fresh boolean;
  mark bigint;
  changed boolean;
  n integer;
  refusal text;
  timers boolean := false;
BEGIN
  FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
    idx := i;
    i := i + 1;
    written := NULL;
    expected := (item->>'expected')::bigint;
    IF item ? 'source'
       AND NOT pg_try_advisory_xact_lock(hashtextextended('mailroom:"__schema__":' || (item->>'key'), 0)) THEN
      outcome := 'behind'; new_version := NULL; RETURN NEXT; CONTINUE;
    END IF;
    INSERT INTO "__schema__".inbox AS box (message_id, key, type, envelope, source, processed_at)
    VALUES (item->>'message_id', item->>'key', item->'message'->>'type', item->'message',
            coalesce(item->>'source', 'direct'), now())
    ON CONFLICT (message_id) DO UPDATE SET processed_at = now() WHERE box.processed_at IS NULL
    RETURNING (xmax = 0), id INTO fresh, mark;
    IF NOT FOUND THEN
      outcome := 'duplicate'; new_version := NULL; RETURN NEXT; CONTINUE;
    END IF;
    refusal := NULL;
    IF item ? 'source' AND EXISTS (
      SELECT 1 FROM "__schema__".inbox WHERE key = item->>'key' AND id < mark
        AND processed_at IS NULL AND parked_at IS NULL
    ) THEN
      refusal := 'behind';
    ELSE
      changed := item ? 'state' AND jsonb_typeof(item->'state') <> 'null';
      IF changed AND expected = 0 THEN
        INSERT INTO "__schema__".state (key, version, state) VALUES (item->>'key', 1, item->'state')
        ON CONFLICT (key) DO NOTHING;
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
        refusal := 'conflict';
      END IF;
    END IF;
    IF refusal IS NOT NULL THEN
      -- Nothing is applied: give the inbox claim back.
      IF fresh THEN
        DELETE FROM "__schema__".inbox WHERE id = mark;
      ELSE
        UPDATE "__schema__".inbox SET processed_at = NULL WHERE id = mark;
      END IF;
      IF refusal = 'behind' THEN
        new_version := NULL;
      ELSE
        SELECT version INTO cur FROM "__schema__".state WHERE key = item->>'key';
        new_version := coalesce(cur, 0);
      END IF;
      outcome := refusal; RETURN NEXT; CONTINUE;
    END IF;
    new_version := CASE WHEN changed THEN expected + 1 ELSE expected END;
    INSERT INTO "__schema__".audit (key, message_id, message, events, commands, state_changed, version, scheduled, cancelled)
    VALUES (item->>'key', item->>'message_id', item->'message', item->'events', item->'commands', changed, new_version,
            item->'scheduled_log', item->'cancelled');
    -- Cancelled first, so a decision may replace a scheduled message; only a scheduled row of this outbox goes.
    IF item ? 'cancelled' THEN
      DELETE FROM "__schema__".outbox
      WHERE due_at IS NOT NULL AND message_id IN (SELECT jsonb_array_elements_text(item->'cancelled'));
      timers := true;
    END IF;
    IF item ? 'scheduled' THEN
      INSERT INTO "__schema__".outbox (destination, key, message_id, type, envelope, due_at)
      SELECT s->>'destination', s->>'key', s->>'message_id', s->>'type', s->'envelope',
             to_timestamp((s->>'due_at')::double precision / 1000)
      FROM jsonb_array_elements(item->'scheduled') WITH ORDINALITY AS t(s, ord) ORDER BY ord
      ON CONFLICT (destination, message_id) DO NOTHING;
      timers := true;
    END IF;
    IF jsonb_array_length(item->'outbox') > 0 AND item ? 'handover' THEN
      WITH rows AS (
        INSERT INTO "__schema__".outbox (destination, key, message_id, type, envelope)
        SELECT o->>'destination', o->>'key', o->>'message_id', o->>'type', o->'envelope'
        FROM jsonb_array_elements(item->'outbox') WITH ORDINALITY AS t(o, ord) ORDER BY ord
        ON CONFLICT (destination, message_id) DO NOTHING
        RETURNING id, destination, key, message_id
      )
      SELECT jsonb_agg(jsonb_build_array(r.id::text, r.destination, r.message_id, (
          SELECT 1 FROM "__schema__".outbox ob
          WHERE ob.destination = r.destination AND ob.key = r.key AND ob.id < r.id
            AND ob.delivered_at IS NULL AND ob.parked_at IS NULL AND ob.due_at IS NULL
          ORDER BY ob.destination, ob.key, ob.id LIMIT 1
        ) IS NULL) ORDER BY r.id)
      INTO written FROM rows r;
    ELSIF jsonb_array_length(item->'outbox') > 0 THEN
      INSERT INTO "__schema__".outbox (destination, key, message_id, type, envelope)
      SELECT o->>'destination', o->>'key', o->>'message_id', o->>'type', o->'envelope'
      FROM jsonb_array_elements(item->'outbox') WITH ORDINALITY AS t(o, ord) ORDER BY ord
      ON CONFLICT (destination, message_id) DO NOTHING;
    END IF;
    outcome := 'committed'; RETURN NEXT;
  END LOOP;
  -- Every process's relay recomputes when it next wakes: a message due earlier, or one fewer to wait for.
  IF timers THEN
    PERFORM pg_notify('mailroom', 'outbox:__schema__');
  END IF;
END
$fn$;
`
