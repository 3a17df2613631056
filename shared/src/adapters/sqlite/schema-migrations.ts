/**
 * The embedded database schema, as an append-only list: migration i brings the file from
 * `PRAGMA user_version = i` to i + 1. Never edit a released step; add a new one.
 *
 * Tables:
 * - jobs: the job store. params, webhook, result and error are JSON text.
 * - batches: batch headers; their jobs carry batch_id and a custom_id unique per batch.
 * - queue_messages: the job queue. A row is waiting when visible_at_ms <= now, leased
 *   otherwise. delivery_attempt counts deliveries so far; seq gives FIFO order.
 * - dead_letters: messages that exhausted their deliveries, leased the same way.
 * - jobs.published_at_ms (2): when the job's queue message was published, NULL until
 *   then; the orphan sweeper publishes queued jobs where it stayed NULL. Jobs that exist
 *   when the column is added were published by the code that created them.
 */
export const schemaMigrations: readonly string[] = [
  `
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    prompt TEXT NOT NULL,
    params TEXT NOT NULL,
    batch_id TEXT,
    custom_id TEXT,
    webhook TEXT,
    idempotency_key TEXT,
    created_at_ms INTEGER NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_expires_at_ms INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    started_at_ms INTEGER,
    finished_at_ms INTEGER,
    result TEXT,
    error TEXT
  ) STRICT;
  CREATE UNIQUE INDEX jobs_by_idempotency_key ON jobs (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
  CREATE UNIQUE INDEX jobs_by_batch_custom_id ON jobs (batch_id, custom_id)
    WHERE batch_id IS NOT NULL;
  CREATE INDEX jobs_by_status ON jobs (status);

  CREATE TABLE batches (
    id TEXT PRIMARY KEY,
    created_at_ms INTEGER NOT NULL,
    item_count INTEGER NOT NULL,
    webhook TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0
  ) STRICT;

  CREATE TABLE queue_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    visible_at_ms INTEGER NOT NULL,
    delivery_attempt INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  -- Finds exhausted messages to dead-letter without scanning the backlog (attempt 0).
  CREATE INDEX queue_messages_by_attempt ON queue_messages (delivery_attempt, visible_at_ms);

  CREATE TABLE dead_letters (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    delivery_attempt INTEGER NOT NULL,
    visible_at_ms INTEGER NOT NULL,
    pull_count INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  `,
  `
  ALTER TABLE jobs ADD COLUMN published_at_ms INTEGER;
  UPDATE jobs SET published_at_ms = created_at_ms;
  CREATE INDEX jobs_unpublished ON jobs (created_at_ms)
    WHERE published_at_ms IS NULL AND status = 'queued';
  `,
];
