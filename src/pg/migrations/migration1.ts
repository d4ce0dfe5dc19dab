/** Migration 1 (1_tables), frozen: the text a release ran. Never edit it; a change is a new migration. */
export const name = "1_tables"

/** The SQL, with __schema__ standing for the context's schema. */
export const text = `
CREATE TABLE "__schema__".state (
  key text PRIMARY KEY,
  version bigint NOT NULL,
  state jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE "__schema__".audit (
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
CREATE INDEX audit_key ON "__schema__".audit (key, seq);
-- Messages for this context. A row is pending until the commit that handled it marks it processed;
-- processed rows stay as the idempotency marks until retention removes them.
CREATE TABLE "__schema__".inbox (
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
CREATE INDEX inbox_pending ON "__schema__".inbox (key, id) WHERE processed_at IS NULL AND parked_at IS NULL;
CREATE INDEX inbox_processed ON "__schema__".inbox (processed_at) WHERE processed_at IS NOT NULL;
-- Messages this context produced, committed with its state, waiting for the relay.
CREATE TABLE "__schema__".outbox (
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
CREATE INDEX outbox_pending ON "__schema__".outbox (id) WHERE delivered_at IS NULL AND parked_at IS NULL;
CREATE INDEX outbox_delivered ON "__schema__".outbox (delivered_at) WHERE delivered_at IS NOT NULL;
`
