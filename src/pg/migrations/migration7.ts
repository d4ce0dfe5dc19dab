/** Migration 7 (7_independent_contexts), frozen: the text a release ran. Never edit it; a change is a new migration. */
export const name = "7_independent_contexts"

/**
 * The SQL, with __schema__ standing for the context's schema. A commit writes this context's tables only: the
 * functions that wrote into other contexts' inboxes (commit_batch_relayed, accept) and the mover that did
 * (relay_outbox) are dropped; the relay now forwards each message in the consumer's own transaction.
 */
export const text = `
DROP FUNCTION IF EXISTS "__schema__".commit_batch_relayed(jsonb, text);
DROP FUNCTION IF EXISTS "__schema__".accept(jsonb, text);
DROP FUNCTION IF EXISTS "__schema__".relay_outbox(integer, integer, text);
DROP FUNCTION IF EXISTS "__schema__".commit_batch(jsonb);

-- Applies a batch of handled messages in one transaction of this context, touching nothing else. Per item:
-- a message already processed is a 'duplicate'; a message another context handed over in memory (item.source set)
-- is 'behind' when another session delivers its key or an older message of its key waits in the inbox (it then goes
-- the relay's way); a moved version is a 'conflict'; otherwise the inbox mark, the state, the audit entry and the
-- outbox rows are written together ('committed'). For an item that asks (item.handover: a consumer runs in the
-- committing process), each new outbox row comes back as [id, destination, message id, ahead], ahead meaning no older
-- row of its destination and key waits, so it may be handed over at once (asked in the shape of the pending rows'
-- (destination, key, id) index, so a plan cached while the outbox was empty stays an index probe as it grows).
CREATE FUNCTION "__schema__".commit_messages(items jsonb)
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
    INSERT INTO "__schema__".audit (key, message_id, message, events, commands, state_changed, version)
    VALUES (item->>'key', item->>'message_id', item->'message', item->'events', item->'commands', changed, new_version);
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
            AND ob.delivered_at IS NULL AND ob.parked_at IS NULL
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
END
$fn$;
`
