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
 * - (3) jobs.owner and batches.owner: the API key that created them (null when open).
 *   webhook_events: the webhook outbox and delivery record, one row per job or batch
 *   event (see ports/webhook-event-store.ts); attempts is a JSON array. The trigger
 *   jobs_webhook_outbox writes a job's event, and its batch's batch.completed when it was
 *   the batch's last open job, in the same statement as the terminal transition: nothing
 *   in the store's code can forget it, and the unique (subject_id, type) index makes a
 *   second one impossible. webhook_queue: the embedded webhook delivery queue.
 * - (4) jobs.trace_id: the Cloud Trace id of the submitting request, or NULL.
 * - (5) files and file_chunks: uploaded files (ports/file-store.ts), content in chunks of
 *   about 1 MiB so neither an upload nor a download holds a file in memory; a file row
 *   with complete = 0 is an upload in progress, invisible to reads. openai_batches: what
 *   an OpenAI batch adds to the warmgen batch of the same id (ports/openai-batch-store.ts).
 * - (6) jobs.input_index: a batch item's position in its input, for results in input
 *   order; NULL for single jobs and for batch jobs stored before it existed.
 *   openai_batches.usage: the summed tokens of a finished batch, JSON (unused since (9):
 *   the sum is the warmgen batch's, batches.usage).
 * - (7) worker_heartbeats: one row per worker process (ports/worker-heartbeats.ts), the
 *   record as JSON text beside its expiry; expired rows are deleted by the next beat.
 * - (8) worker_processes: the worker processes using this file, by host and pid
 *   (ports/worker-processes.ts), so a restarted one releases a dead one's jobs at once.
 * - (9) batch retries (JobStore.retryBatch): jobs.retries and jobs.retried_at_ms,
 *   batches.retries and batches.usage (the summed tokens, JSON). A retried row runs
 *   again and its batch ends again, so an event is now one per (subject, type, round),
 *   round being the job's or the batch's retries when it fired: webhook_events.round, the
 *   unique index on all three, and the trigger recreated to write the round.
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
  `
  ALTER TABLE jobs ADD COLUMN owner TEXT;
  ALTER TABLE batches ADD COLUMN owner TEXT;
  -- "Is any job of this batch still open?" in two index seeks, not a scan of the batch.
  CREATE INDEX jobs_by_batch_status ON jobs (batch_id, status) WHERE batch_id IS NOT NULL;

  CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    url TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts TEXT NOT NULL DEFAULT '[]',
    schedule_attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER,
    payload TEXT,
    dispatched_at_ms INTEGER,
    lease_owner TEXT,
    lease_expires_at_ms INTEGER
  ) STRICT;
  CREATE UNIQUE INDEX webhook_events_by_subject ON webhook_events (subject_id, type);
  CREATE INDEX webhook_events_outbox ON webhook_events (created_at_ms)
    WHERE dispatched_at_ms IS NULL;
  CREATE INDEX webhook_events_pending ON webhook_events (next_attempt_at_ms)
    WHERE state = 'pending';

  CREATE TABLE webhook_queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    visible_at_ms INTEGER NOT NULL,
    delivery_count INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE INDEX webhook_queue_by_visible ON webhook_queue (visible_at_ms);

  CREATE TRIGGER jobs_webhook_outbox AFTER UPDATE OF status ON jobs
  WHEN NEW.status IN ('succeeded', 'failed', 'canceled')
    AND OLD.status NOT IN ('succeeded', 'failed', 'canceled')
  BEGIN
    INSERT OR IGNORE INTO webhook_events (id, type, subject_id, url, created_at_ms, next_attempt_at_ms)
    SELECT 'evt_' || lower(hex(randomblob(16))), event.type, NEW.id,
      json_extract(NEW.webhook, '$.url'), event.at, event.at
    FROM (SELECT
        CASE NEW.status
          WHEN 'succeeded' THEN 'generation.completed'
          WHEN 'failed' THEN 'generation.failed'
          ELSE 'generation.canceled' END AS type,
        coalesce(NEW.finished_at_ms, CAST(unixepoch('subsec') * 1000 AS INTEGER)) AS at) AS event
    WHERE NEW.webhook IS NOT NULL
      AND EXISTS (SELECT 1 FROM json_each(NEW.webhook, '$.events') WHERE value = event.type);

    INSERT OR IGNORE INTO webhook_events (id, type, subject_id, url, created_at_ms, next_attempt_at_ms)
    SELECT 'evt_' || lower(hex(randomblob(16))), 'batch.completed', b.id,
      json_extract(b.webhook, '$.url'), event.at, event.at
    FROM batches AS b,
      (SELECT coalesce(NEW.finished_at_ms, CAST(unixepoch('subsec') * 1000 AS INTEGER)) AS at) AS event
    WHERE NEW.batch_id IS NOT NULL AND b.id = NEW.batch_id AND b.webhook IS NOT NULL
      AND EXISTS (SELECT 1 FROM json_each(b.webhook, '$.events') WHERE value = 'batch.completed')
      AND NOT EXISTS (
        SELECT 1 FROM jobs AS j
        WHERE j.batch_id = NEW.batch_id AND j.status IN ('queued', 'running'));
  END;
  `,
  `
  ALTER TABLE jobs ADD COLUMN trace_id TEXT;
  `,
  `
  CREATE TABLE files (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    filename TEXT NOT NULL,
    bytes INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL,
    owner TEXT,
    complete INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX files_by_created ON files (created_at_ms, id) WHERE complete = 1;
  CREATE TABLE file_chunks (
    file_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (file_id, seq)
  );
  CREATE TABLE openai_batches (
    id TEXT PRIMARY KEY,
    owner TEXT,
    input_file_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    completion_window TEXT NOT NULL,
    metadata TEXT,
    total INTEGER NOT NULL,
    errors TEXT,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    cancelling_at_ms INTEGER,
    expired_at_ms INTEGER,
    finished_at_ms INTEGER
  );
  CREATE INDEX openai_batches_by_created ON openai_batches (created_at_ms, id);
  `,
  `
  ALTER TABLE jobs ADD COLUMN input_index INTEGER;
  CREATE INDEX jobs_by_batch_input ON jobs (batch_id, input_index) WHERE batch_id IS NOT NULL;
  ALTER TABLE openai_batches ADD COLUMN usage TEXT;
  `,
  `
  CREATE TABLE worker_heartbeats (
    worker_id TEXT PRIMARY KEY,
    expires_at_ms INTEGER NOT NULL,
    record TEXT NOT NULL
  ) STRICT;
  `,
  `
  CREATE TABLE worker_processes (
    worker_id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at_ms INTEGER NOT NULL
  ) STRICT;
  `,
  `
  ALTER TABLE jobs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE jobs ADD COLUMN retried_at_ms INTEGER;
  ALTER TABLE batches ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE batches ADD COLUMN usage TEXT;
  ALTER TABLE webhook_events ADD COLUMN round INTEGER NOT NULL DEFAULT 0;
  DROP INDEX webhook_events_by_subject;
  CREATE UNIQUE INDEX webhook_events_by_subject_round ON webhook_events (subject_id, type, round);

  DROP TRIGGER jobs_webhook_outbox;
  CREATE TRIGGER jobs_webhook_outbox AFTER UPDATE OF status ON jobs
  WHEN NEW.status IN ('succeeded', 'failed', 'canceled')
    AND OLD.status NOT IN ('succeeded', 'failed', 'canceled')
  BEGIN
    INSERT OR IGNORE INTO webhook_events
      (id, type, subject_id, url, created_at_ms, next_attempt_at_ms, round)
    SELECT 'evt_' || lower(hex(randomblob(16))), event.type, NEW.id,
      json_extract(NEW.webhook, '$.url'), event.at, event.at, NEW.retries
    FROM (SELECT
        CASE NEW.status
          WHEN 'succeeded' THEN 'generation.completed'
          WHEN 'failed' THEN 'generation.failed'
          ELSE 'generation.canceled' END AS type,
        coalesce(NEW.finished_at_ms, CAST(unixepoch('subsec') * 1000 AS INTEGER)) AS at) AS event
    WHERE NEW.webhook IS NOT NULL
      AND EXISTS (SELECT 1 FROM json_each(NEW.webhook, '$.events') WHERE value = event.type);

    INSERT OR IGNORE INTO webhook_events
      (id, type, subject_id, url, created_at_ms, next_attempt_at_ms, round)
    SELECT 'evt_' || lower(hex(randomblob(16))), 'batch.completed', b.id,
      json_extract(b.webhook, '$.url'), event.at, event.at, b.retries
    FROM batches AS b,
      (SELECT coalesce(NEW.finished_at_ms, CAST(unixepoch('subsec') * 1000 AS INTEGER)) AS at) AS event
    WHERE NEW.batch_id IS NOT NULL AND b.id = NEW.batch_id AND b.webhook IS NOT NULL
      AND EXISTS (SELECT 1 FROM json_each(b.webhook, '$.events') WHERE value = 'batch.completed')
      AND NOT EXISTS (
        SELECT 1 FROM jobs AS j
        WHERE j.batch_id = NEW.batch_id AND j.status IN ('queued', 'running'));
  END;
  `,
];
