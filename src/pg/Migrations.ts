import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Versioned migrations of one bounded context's own schema: state, audit log, outbox, inbox and the
 * batch-commit and relay functions. Each context records its migrations in its own schema, so contexts
 * can be added, upgraded or dropped independently.
 */
export const forHost = (
  schema: string
): Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> => ({
  "1_tables": run(tables(schema)),
  "2_functions": run(functions(schema)),
  "3_leaner_commit": run(commitFunction(schema, "outbox")),
  "4_commit_and_relay": run(commitFunction(schema, "outboxThenMove")),
  "5_commit_into_inboxes": run(
    `${pendingByKeyIndex(schema)}${acceptFunction(schema)}${commitFunction(schema, "inboxes")}${relayOutboxFunction(schema, true)}`
  ),
  "6_indexed_order_check": run(commitFunction(schema, "inboxes", true))
})

/** Runs the migrations of every given schema (serialised across processes by an advisory lock). */
export const runAll = (schemas: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    for (const schema of schemas) {
      yield* sql.withTransaction(
        Effect.gen(function* () {
          // Two processes starting at once would race on CREATE SCHEMA and the migrations table.
          yield* sql`SELECT pg_advisory_xact_lock(hashtext(${`mailroom:migrate:${schema}`}))`
          yield* sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`)
          // Created here (same shape as the Migrator's) because the Migrator probes for it with a failing
          // statement, which would abort this transaction.
          yield* sql.unsafe(
            `CREATE TABLE IF NOT EXISTS ${ident(schema)}.mailroom_migrations (
               migration_id integer PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), name text NOT NULL)`
          )
          yield* Migrator.make({})({
            loader: Migrator.fromRecord(forHost(schema)),
            table: `${schema}.mailroom_migrations`
          })
        })
      )
    }
  })

/** Quotes an SQL identifier. */
export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`

// internal

const run = (text: string) => Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(text).raw)

const tables = (schema: string) => {
  const s = ident(schema)
  return `
CREATE TABLE ${s}.state (
  key text PRIMARY KEY,
  version bigint NOT NULL,
  state jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ${s}.audit (
  seq bigserial PRIMARY KEY,
  key text NOT NULL,
  message_id text NOT NULL,
  message jsonb NOT NULL,
  events jsonb NOT NULL,
  commands jsonb NOT NULL,
  state_changed boolean NOT NULL,
  version bigint NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_key ON ${s}.audit (key, seq);
-- Messages for this context. A row is pending until the commit that handled it marks it processed;
-- processed rows stay as the idempotency marks until retention removes them.
CREATE TABLE ${s}.inbox (
  id bigserial PRIMARY KEY,
  message_id text NOT NULL UNIQUE,
  key text NOT NULL,
  type text NOT NULL,
  envelope jsonb NOT NULL,
  source text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  available_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  processed_at timestamptz,
  parked_at timestamptz
);
CREATE INDEX inbox_pending ON ${s}.inbox (key, id) WHERE processed_at IS NULL AND parked_at IS NULL;
CREATE INDEX inbox_processed ON ${s}.inbox (processed_at) WHERE processed_at IS NOT NULL;
-- Messages this context produced, committed with its state, waiting for the relay.
CREATE TABLE ${s}.outbox (
  id bigserial PRIMARY KEY,
  destination text NOT NULL,
  key text NOT NULL,
  message_id text NOT NULL,
  type text NOT NULL,
  envelope jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  delivered_at timestamptz,
  parked_at timestamptz,
  UNIQUE (destination, message_id)
);
CREATE INDEX outbox_pending ON ${s}.outbox (id) WHERE delivered_at IS NULL AND parked_at IS NULL;
CREATE INDEX outbox_delivered ON ${s}.outbox (delivered_at) WHERE delivered_at IS NOT NULL;
`
}

// commit_batch (migration 3) keeps 2_functions' contract with two statements fewer per message: the inbox mark is
// claimed first (its upsert tells a duplicate), the state is written with the version check in its WHERE clause,
// and the rare conflict undoes the claim. commit_batch_relayed is the same with the relay's first step inside the
// commit (inlineRelay): migration 4 wrote every row to the outbox and then moved what it could; migration 5
// writes a row straight into its destination's inbox when it may go there, and only the rest to the outbox.
type Routing = "outbox" | "outboxThenMove" | "inboxes"

const commitFunction = (schema: string, routing: Routing, indexedOrderCheck = false) => {
  const s = ident(schema)
  const relayed = routing !== "outbox"
  return `
CREATE OR REPLACE FUNCTION ${s}.${relayed ? "commit_batch_relayed(items jsonb, prefix text)" : "commit_batch(items jsonb)"}
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
  wrote_outbox boolean := false;${relayed ? "\n  dest text;\n  left_behind boolean := false;" : ""}${routing === "outboxThenMove" ? "\n  ids text[];\n  moved integer;" : ""}${routing === "inboxes" ? "\n  routed jsonb := '[]'::jsonb;\n  go jsonb;\n  wait jsonb;" : ""}
BEGIN
  FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
    idx := i;
    i := i + 1;
    expected := (item->>'expected')::bigint;
    INSERT INTO ${s}.inbox AS box (message_id, key, type, envelope, source, processed_at)
    VALUES (item->>'message_id', item->>'key', item->'message'->>'type', item->'message', 'direct', now())
    ON CONFLICT (message_id) DO UPDATE SET processed_at = now() WHERE box.processed_at IS NULL
    RETURNING (xmax = 0) INTO fresh;
    IF NOT FOUND THEN
      outcome := 'duplicate'; new_version := NULL; RETURN NEXT; CONTINUE;
    END IF;
    changed := item ? 'state' AND jsonb_typeof(item->'state') <> 'null';
    IF changed AND expected = 0 THEN
      INSERT INTO ${s}.state (key, version, state) VALUES (item->>'key', 1, item->'state') ON CONFLICT (key) DO NOTHING;
      GET DIAGNOSTICS n = ROW_COUNT;
    ELSIF changed THEN
      UPDATE ${s}.state SET version = expected + 1, state = item->'state', updated_at = now()
      WHERE key = item->>'key' AND version = expected;
      GET DIAGNOSTICS n = ROW_COUNT;
    ELSE
      SELECT version INTO cur FROM ${s}.state WHERE key = item->>'key';
      n := CASE WHEN coalesce(cur, 0) = expected THEN 1 ELSE 0 END;
    END IF;
    IF n = 0 THEN
      -- Another writer moved the key: give the claim back, apply nothing.
      IF fresh THEN
        DELETE FROM ${s}.inbox WHERE message_id = item->>'message_id';
      ELSE
        UPDATE ${s}.inbox SET processed_at = NULL WHERE message_id = item->>'message_id';
      END IF;
      SELECT version INTO cur FROM ${s}.state WHERE key = item->>'key';
      outcome := 'conflict'; new_version := coalesce(cur, 0); RETURN NEXT; CONTINUE;
    END IF;
    new_version := CASE WHEN changed THEN expected + 1 ELSE expected END;
    INSERT INTO ${s}.audit (key, message_id, message, events, commands, state_changed, version)
    VALUES (item->>'key', item->>'message_id', item->'message', item->'events', item->'commands', changed, new_version);
${routing === "inboxes" ? collectRows : writeOutbox(schema)}    outcome := 'committed'; RETURN NEXT;
  END LOOP;
${routing === "outbox" ? `  IF wrote_outbox THEN\n    PERFORM pg_notify('mailroom', 'outbox:${schema}');\n  END IF;\n` : routing === "outboxThenMove" ? inlineRelay(schema) : routeIntoInboxes(schema, indexedOrderCheck)}END
$fn$;
`
}

// Every row of the item into this context's outbox, for the relay to move.
const writeOutbox = (schema: string) => `    IF jsonb_array_length(item->'outbox') > 0 THEN
      INSERT INTO ${ident(schema)}.outbox (destination, key, message_id, type, envelope)
      SELECT o->>'destination', o->>'key', o->>'message_id', o->>'type', o->'envelope'
      FROM jsonb_array_elements(item->'outbox') AS o
      ON CONFLICT (destination, message_id) DO NOTHING;
      wrote_outbox := true;
    END IF;
`

// The item's rows are collected; after the loop they are routed per destination.
const collectRows = `    routed := routed || (item->'outbox');
`

// Each collected row goes straight to its destination's inbox (through the destination's own accept function, so
// the statement that writes the inbox is planned once per session), in order, unless the destination cannot take it
// yet (no inbox or no accept function: not migrated) or an older row of the same destination and key still waits in
// the outbox: then all of that key's rows of this batch wait there too, behind it (per-key order), for the relay.
// Migration 6 asks first whether anything of that destination waits at all, and asks the per-key question in the
// shape of the (destination, key, id) index (ordered, LIMIT 1): asked as EXISTS, the planner could scan every
// pending row instead, which made a commit 20-30x slower exactly while a backlog built up (BENCHMARKS.md).
const routeIntoInboxes = (schema: string, indexedOrderCheck: boolean) => {
  const s = ident(schema)
  return `  IF jsonb_array_length(routed) = 0 THEN
    RETURN;
  END IF;
  FOR dest IN SELECT DISTINCT r->>'destination' FROM jsonb_array_elements(routed) AS r LOOP
    IF to_regprocedure(format('%I.accept(jsonb,text)', prefix || dest)) IS NULL THEN
      go := '[]'::jsonb;
      SELECT jsonb_agg(r ORDER BY ord) INTO wait
      FROM jsonb_array_elements(routed) WITH ORDINALITY AS t(r, ord) WHERE r->>'destination' = dest;${
        indexedOrderCheck
          ? `
    ELSIF NOT EXISTS (
      SELECT 1 FROM ${s}.outbox ob WHERE ob.destination = dest AND ob.delivered_at IS NULL AND ob.parked_at IS NULL
    ) THEN
      wait := '[]'::jsonb;
      SELECT jsonb_agg(r ORDER BY ord) INTO go
      FROM jsonb_array_elements(routed) WITH ORDINALITY AS t(r, ord) WHERE r->>'destination' = dest;`
          : ""
      }
    ELSE
      SELECT coalesce(jsonb_agg(r ORDER BY ord) FILTER (WHERE NOT blocked), '[]'::jsonb),
             coalesce(jsonb_agg(r ORDER BY ord) FILTER (WHERE blocked), '[]'::jsonb)
      INTO go, wait
      FROM (
        SELECT r, ord, ${
          indexedOrderCheck
            ? `(
          SELECT 1 FROM ${s}.outbox ob WHERE ob.destination = dest AND ob.key = r->>'key'
            AND ob.delivered_at IS NULL AND ob.parked_at IS NULL ORDER BY ob.destination, ob.key, ob.id LIMIT 1
        ) IS NOT NULL`
            : `EXISTS (
          SELECT 1 FROM ${s}.outbox ob WHERE ob.destination = dest AND ob.key = r->>'key'
            AND ob.delivered_at IS NULL AND ob.parked_at IS NULL)`
        } AS blocked
        FROM jsonb_array_elements(routed) WITH ORDINALITY AS t(r, ord) WHERE r->>'destination' = dest
      ) rows;
    END IF;
    IF jsonb_array_length(wait) > 0 THEN
      INSERT INTO ${s}.outbox (destination, key, message_id, type, envelope)
      SELECT r->>'destination', r->>'key', r->>'message_id', r->>'type', r->'envelope'
      FROM jsonb_array_elements(wait) WITH ORDINALITY AS t(r, ord) ORDER BY ord
      ON CONFLICT (destination, message_id) DO NOTHING;
      left_behind := true;
    END IF;
    IF jsonb_array_length(go) > 0 THEN
      EXECUTE format('SELECT %I.accept($1, $2)', prefix || dest) USING go, '${schema.replace(/'/g, "''")}';
      PERFORM pg_notify('mailroom', 'inbox:' || prefix || dest);
    END IF;
  END LOOP;
  IF left_behind THEN
    PERFORM pg_notify('mailroom', 'outbox:${schema}');
  END IF;
`
}

// A context's front door for messages other contexts commit straight into its inbox (commit_batch_relayed): rows
// in order, a message id already received is ignored.
const acceptFunction = (schema: string) => {
  const s = ident(schema)
  return `
CREATE OR REPLACE FUNCTION ${s}.accept(rows jsonb, source text) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
  -- plpgsql, not sql: its statement's plan is kept for the session.
  INSERT INTO ${s}.inbox (message_id, key, type, envelope, source)
  SELECT r->>'message_id', r->>'key', r->>'type', r->'envelope', accept.source
  FROM jsonb_array_elements(rows) WITH ORDINALITY AS t(r, ord) ORDER BY ord
  ON CONFLICT (message_id) DO NOTHING;
END
$fn$;
`
}

// The relay's mover: committed outbox rows into their destinations' inboxes (migration 2; migration 5 lets it commit
// without waiting for its WAL flush).
const relayOutboxFunction = (schema: string, asyncCommit: boolean) => {
  const s = ident(schema)
  return `
-- Moves committed outbox rows into their destinations' inboxes, in id order, marking them delivered, in one
-- transaction. One mover per source at a time keeps per-key order; a destination whose inbox does not exist
-- yet leaves its rows pending (and parks them after max_attempts tries).
CREATE OR REPLACE FUNCTION ${s}.relay_outbox(batch integer, max_attempts integer, prefix text)
RETURNS TABLE (moved integer, destinations text[])
LANGUAGE plpgsql AS $fn$
DECLARE
  dest text;
  n integer := 0;
  c integer;
  dests text[] := '{}';
  claimed bigint[];
BEGIN${
    asyncCommit
      ? `
  -- Moving is idempotent and atomic: a move lost in a crash leaves its rows pending to be moved again, and the
  -- consumer's own (synchronous) commit flushes the WAL past it anyway. So the mover does not wait for its flush.
  PERFORM set_config('synchronous_commit', 'off', true);`
      : ""
  }
  moved := 0; destinations := dests;
  IF NOT pg_try_advisory_xact_lock(hashtext('mailroom:relay:${schema}')) THEN
    RETURN NEXT; RETURN;
  END IF;
  SELECT array_agg(id ORDER BY id) INTO claimed FROM (
    SELECT o.id FROM ${s}.outbox o WHERE o.delivered_at IS NULL AND o.parked_at IS NULL
    ORDER BY o.id LIMIT batch FOR UPDATE SKIP LOCKED
  ) picked;
  IF claimed IS NULL THEN
    RETURN NEXT; RETURN;
  END IF;
  FOR dest IN SELECT DISTINCT o.destination FROM ${s}.outbox o WHERE o.id = ANY(claimed) LOOP
    IF to_regclass(format('%I.inbox', prefix || dest)) IS NULL THEN
      UPDATE ${s}.outbox SET attempts = attempts + 1,
        last_error = format('destination %s has no inbox (not migrated yet?)', dest),
        parked_at = CASE WHEN attempts + 1 >= max_attempts THEN now() ELSE NULL END
      WHERE id = ANY(claimed) AND destination = dest;
      CONTINUE;
    END IF;
    EXECUTE format(
      'INSERT INTO %I.inbox (message_id, key, type, envelope, source)
       SELECT message_id, key, type, envelope, %L FROM ${s.replace(/%/g, "%%")}.outbox
       WHERE id = ANY($1) AND destination = %L ORDER BY id
       ON CONFLICT (message_id) DO NOTHING', prefix || dest, '${schema}', dest) USING claimed;
    UPDATE ${s}.outbox SET delivered_at = now(), attempts = attempts + 1
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
}

// Finds the pending outbox rows of one destination and key (commit_batch_relayed asks this for every row it routes).
const pendingByKeyIndex = (schema: string) => `
CREATE INDEX outbox_pending_key ON ${ident(schema)}.outbox (destination, key, id)
  WHERE delivered_at IS NULL AND parked_at IS NULL;
`

// The relay's first step inside the commit (commit_batch_relayed): each new outbox row goes straight into its
// destination's inbox when nothing older of the same destination and key waits (the mover keeps the rest).
const inlineRelay = (schema: string) => {
  const s = ident(schema)
  return `  IF NOT wrote_outbox THEN
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
         SELECT ob.id, ob.key FROM ${s.replace(/%/g, "%%")}.outbox ob
         WHERE ob.destination = $1 AND ob.message_id = ANY($2) AND ob.delivered_at IS NULL AND ob.parked_at IS NULL
       ), movable AS (
         SELECT m.id FROM mine m WHERE NOT EXISTS (
           SELECT 1 FROM ${s.replace(/%/g, "%%")}.outbox older
           WHERE older.destination = $1 AND older.key = m.key AND older.id < m.id
             AND older.delivered_at IS NULL AND older.parked_at IS NULL
             AND older.id NOT IN (SELECT id FROM mine))
       ), moved AS (
         UPDATE ${s.replace(/%/g, "%%")}.outbox SET delivered_at = now(), attempts = attempts + 1
         WHERE id IN (SELECT id FROM movable)
         RETURNING id, key, message_id, type, envelope
       ), inserted AS (
         INSERT INTO %I.inbox (message_id, key, type, envelope, source)
         SELECT message_id, key, type, envelope, %L FROM moved ORDER BY id
         ON CONFLICT (message_id) DO NOTHING
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM moved)::integer', prefix || dest, '${schema}')
    INTO moved USING dest, ids;
    IF moved < array_length(ids, 1) THEN
      left_behind := true;
    END IF;
    IF moved > 0 THEN
      PERFORM pg_notify('mailroom', 'inbox:' || prefix || dest);
    END IF;
  END LOOP;
  IF left_behind THEN
    PERFORM pg_notify('mailroom', 'outbox:${schema}');
  END IF;
`
}

const functions = (schema: string) => {
  const s = ident(schema)
  return `
-- Applies a batch of handled messages in one transaction. For each item: a message already processed is a
-- duplicate (nothing applied); a moved version is a conflict (nothing applied); otherwise state, audit entry,
-- outbox rows and the inbox mark are written together.
CREATE FUNCTION ${s}.commit_batch(items jsonb)
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
    SELECT processed_at INTO done FROM ${s}.inbox WHERE message_id = item->>'message_id';
    IF done IS NOT NULL THEN
      outcome := 'duplicate'; new_version := NULL; RETURN NEXT; CONTINUE;
    END IF;
    SELECT version INTO cur FROM ${s}.state WHERE key = item->>'key' FOR UPDATE;
    IF coalesce(cur, 0) <> (item->>'expected')::bigint THEN
      outcome := 'conflict'; new_version := coalesce(cur, 0); RETURN NEXT; CONTINUE;
    END IF;
    next_version := coalesce(cur, 0);
    IF jsonb_typeof(item->'state') IS DISTINCT FROM 'null' AND item ? 'state' THEN
      next_version := next_version + 1;
      INSERT INTO ${s}.state (key, version, state) VALUES (item->>'key', next_version, item->'state')
      ON CONFLICT (key) DO UPDATE SET version = excluded.version, state = excluded.state, updated_at = now();
    END IF;
    INSERT INTO ${s}.audit (key, message_id, message, events, commands, state_changed, version)
    VALUES (item->>'key', item->>'message_id', item->'message', item->'events', item->'commands',
            next_version <> coalesce(cur, 0), next_version);
    IF jsonb_array_length(item->'outbox') > 0 THEN
      INSERT INTO ${s}.outbox (destination, key, message_id, type, envelope)
      SELECT o->>'destination', o->>'key', o->>'message_id', o->>'type', o->'envelope'
      FROM jsonb_array_elements(item->'outbox') AS o
      ON CONFLICT (destination, message_id) DO NOTHING;
      wrote_outbox := true;
    END IF;
    INSERT INTO ${s}.inbox (message_id, key, type, envelope, source, processed_at)
    VALUES (item->>'message_id', item->>'key', item->'message'->>'type', item->'message', 'direct', now())
    ON CONFLICT (message_id) DO UPDATE SET processed_at = now();
    outcome := 'committed'; new_version := next_version; RETURN NEXT;
  END LOOP;
  IF wrote_outbox THEN
    PERFORM pg_notify('mailroom', 'outbox:${schema}');
  END IF;
END
$fn$;

${relayOutboxFunction(schema, false)}`
}
