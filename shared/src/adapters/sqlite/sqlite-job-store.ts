import type { DatabaseSync, StatementSync } from 'node:sqlite';
import {
  type Batch,
  type Job,
  type NewJob,
  queuedJob,
  type StatusCounts,
} from '../../domain/job.ts';
import { jobStatuses } from '../../domain/job-status.ts';
// Each method's input type (ClaimJob, FailJob, ...), named after the method.
import type * as Input from '../../ports/job-store.ts';
import type { JobStore } from '../../ports/job-store.ts';
import { batchParams, jobColumns, newJobParams, rowToBatch, rowToJob, toJson } from './job-rows.ts';
import { openDatabase } from './open-database.ts';
import { inTransaction } from './transaction.ts';

/**
 * The job store on the embedded SQLite database. Every state change is one conditional
 * UPDATE whose WHERE clause lists the states it may start from (and the lease owner where
 * the port says so); `changes` or RETURNING tells whether it took effect. The methods are
 * synchronous underneath: each statement or transaction completes before any other code on
 * this thread runs, and other processes wait on SQLite's write lock.
 */
export class SqliteJobStore implements JobStore {
  readonly #db: DatabaseSync;
  readonly #sql: ReturnType<typeof prepareStatements>;

  /** Opens (and migrates) the database file; close() closes it. */
  static open(path: string): SqliteJobStore {
    return new SqliteJobStore(openDatabase(path));
  }

  /** Takes ownership of a handle from openDatabase: close() closes it. */
  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#sql = prepareStatements(db);
  }

  async createJobs(jobs: NewJob[]): Promise<Job[]> {
    return inTransaction(this.#db, () =>
      jobs.map((job) => {
        const { changes } = this.#sql.insertJobUnlessKeyExists.run(newJobParams(job));
        if (changes === 1 || job.idempotencyKey === null) {
          return queuedJob(job);
        }
        // The key exists (from an earlier request or earlier in this list): return that job.
        const row = this.#sql.selectJobByIdempotencyKey.get({ key: job.idempotencyKey });
        if (row === undefined) {
          throw new Error(`job ${job.id} was not inserted and no job has its idempotency key`);
        }
        return rowToJob(row);
      }),
    );
  }

  async createBatch({ batch, jobs }: Input.CreateBatch): Promise<void> {
    inTransaction(this.#db, () => {
      this.#sql.insertBatch.run(batchParams(batch));
      for (const job of jobs) {
        this.#sql.insertJob.run(newJobParams(job));
      }
    });
  }

  async getJob(id: string): Promise<Job | null> {
    const row = this.#sql.selectJob.get({ id });
    return row === undefined ? null : rowToJob(row);
  }

  async getBatch(id: string): Promise<Batch | null> {
    const row = this.#sql.selectBatch.get({ id });
    return row === undefined ? null : rowToBatch(row);
  }

  async claimJob({ id, workerId, leaseMs, nowMs }: Input.ClaimJob): Promise<Job | null> {
    const row = this.#sql.claim.get({ id, worker: workerId, now: nowMs, until: nowMs + leaseMs });
    return row === undefined ? null : rowToJob(row);
  }

  async renewLease({ id, workerId, leaseMs, nowMs }: Input.RenewLease): Promise<boolean> {
    return changed(this.#sql.renew.run({ id, worker: workerId, until: nowMs + leaseMs }));
  }

  async releaseJob({ id, workerId }: Input.ReleaseJob): Promise<boolean> {
    return changed(this.#sql.release.run({ id, worker: workerId }));
  }

  async completeJob({ id, workerId, result, nowMs }: Input.CompleteJob): Promise<boolean> {
    return changed(
      this.#sql.complete.run({ id, worker: workerId, result: toJson(result), now: nowMs }),
    );
  }

  async failJob({ id, error, nowMs, workerId }: Input.FailJob): Promise<boolean> {
    const params = { id, error: toJson(error), now: nowMs };
    return workerId === undefined
      ? changed(this.#sql.failAny.run(params))
      : changed(this.#sql.failHeld.run({ ...params, worker: workerId }));
  }

  async requestCancel({ id, nowMs }: Input.RequestCancel): Promise<Job | null> {
    const row = this.#sql.requestCancel.get({ id, now: nowMs }) ?? this.#sql.selectJob.get({ id });
    return row === undefined ? null : rowToJob(row);
  }

  async markCanceled({ id, workerId, nowMs, result }: Input.MarkCanceled): Promise<boolean> {
    const stored = result === undefined ? null : toJson(result);
    return changed(
      this.#sql.markCanceled.run({ id, worker: workerId, now: nowMs, result: stored }),
    );
  }

  async listBatchJobs({ batchId, afterCustomId, limit }: Input.ListBatchJobs): Promise<Job[]> {
    const rows =
      afterCustomId === null
        ? this.#sql.listBatchFirstPage.all({ batch: batchId, limit })
        : this.#sql.listBatchPageAfter.all({ batch: batchId, after: afterCustomId, limit });
    return rows.map(rowToJob);
  }

  async listBatchJobsInInputOrder({
    batchId,
    afterInputIndex,
    limit,
  }: Input.ListBatchJobsInInputOrder): Promise<Job[]> {
    const rows = this.#sql.listBatchInInputOrder.all({
      batch: batchId,
      after: afterInputIndex ?? -1,
      limit,
    });
    return rows.map(rowToJob);
  }

  async countBatchJobs(batchId: string): Promise<StatusCounts> {
    return toCounts(this.#sql.countBatch.all({ batch: batchId }));
  }

  async cancelBatch({ batchId, nowMs }: Input.CancelBatch): Promise<number> {
    return inTransaction(this.#db, () => {
      this.#sql.markBatchCanceled.run({ batch: batchId });
      return Number(this.#sql.cancelBatchJobs.run({ batch: batchId, now: nowMs }).changes);
    });
  }

  /** One transaction: the check, every row and the batch change together or not at all. */
  async retryBatch({ batchId, nowMs }: Input.RetryBatch): Promise<Input.RetryBatchOutcome> {
    return inTransaction(this.#db, () => {
      if (this.#sql.selectBatch.get({ id: batchId }) === undefined) {
        return { outcome: 'not_found' } as const;
      }
      const counts = toCounts(this.#sql.countBatch.all({ batch: batchId }));
      if (counts.queued + counts.running > 0) {
        return { outcome: 'open' } as const;
      }
      const jobIds = this.#sql.retryBatchJobs
        .all({ batch: batchId, now: nowMs })
        .map((row) => String(row.id));
      if (jobIds.length === 0) {
        return { outcome: 'nothing_to_retry' } as const;
      }
      const row = this.#sql.markBatchRetried.get({ batch: batchId });
      if (row === undefined) {
        throw new Error(`batch ${batchId} vanished inside its retry's transaction`);
      }
      return { outcome: 'retried', batch: rowToBatch(row), jobIds } as const;
    });
  }

  async setBatchUsage({ batchId, retries, usage }: Input.SetBatchUsage): Promise<boolean> {
    return changed(
      this.#sql.setBatchUsage.run({ batch: batchId, retries, usage: JSON.stringify(usage) }),
    );
  }

  async markPublished({ ids, nowMs }: Input.MarkPublished): Promise<void> {
    inTransaction(this.#db, () => {
      for (const id of ids) {
        this.#sql.markPublished.run({ id, now: nowMs });
      }
    });
  }

  async listUnpublished({ createdBeforeMs, limit }: Input.ListUnpublished): Promise<string[]> {
    return this.#sql.listUnpublished
      .all({ before: createdBeforeMs, limit })
      .map((row) => String(row.id));
  }

  async countJobs(): Promise<StatusCounts> {
    return toCounts(this.#sql.countAll.all());
  }

  async oldestQueuedAtMs(): Promise<number | null> {
    const row = this.#sql.oldestQueued.get();
    return row?.at === null || row?.at === undefined ? null : Number(row.at);
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) {
      this.#db.close();
    }
  }
}

function changed(outcome: { changes: number | bigint }): boolean {
  return Number(outcome.changes) > 0;
}

function toCounts(rows: Record<string, unknown>[]): StatusCounts {
  const counts = Object.fromEntries(jobStatuses.map((status) => [status, 0])) as StatusCounts;
  for (const row of rows) {
    counts[row.status as keyof StatusCounts] = Number(row.n);
  }
  return counts;
}

// A terminal transition also drops the lease: leaseOwner names a worker only while running.
const endLease = 'lease_owner = NULL, lease_expires_at_ms = NULL';
const held = "status = 'running' AND lease_owner = $worker";

function prepareStatements(db: DatabaseSync) {
  const prepare = (sql: string): StatementSync => db.prepare(sql);
  const insertValues =
    '(id, prompt, params, batch_id, custom_id, webhook, idempotency_key, created_at_ms, owner, trace_id, input_index, status) ' +
    "VALUES ($id, $prompt, $params, $batch_id, $custom_id, $webhook, $idempotency_key, $created_at_ms, $owner, $trace_id, $input_index, 'queued')";
  return {
    insertJob: prepare(`INSERT INTO jobs ${insertValues}`),
    insertJobUnlessKeyExists: prepare(
      `INSERT INTO jobs ${insertValues}
       ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`,
    ),
    selectJobByIdempotencyKey: prepare(
      `SELECT ${jobColumns} FROM jobs WHERE idempotency_key = $key`,
    ),
    insertBatch: prepare(
      `INSERT INTO batches (id, created_at_ms, item_count, webhook, cancel_requested, owner,
         retries, usage)
       VALUES ($id, $created_at_ms, $item_count, $webhook, $cancel_requested, $owner,
         $retries, $usage)`,
    ),
    selectJob: prepare(`SELECT ${jobColumns} FROM jobs WHERE id = $id`),
    selectBatch: prepare('SELECT * FROM batches WHERE id = $id'),
    claim: prepare(
      `UPDATE jobs SET status = 'running', lease_owner = $worker, lease_expires_at_ms = $until,
         attempts = attempts + 1, started_at_ms = $now,
         published_at_ms = coalesce(published_at_ms, $now)
       WHERE id = $id
         AND (status = 'queued' OR (status = 'running' AND lease_expires_at_ms <= $now))
       RETURNING ${jobColumns}`,
    ),
    renew: prepare(`UPDATE jobs SET lease_expires_at_ms = $until WHERE id = $id AND ${held}`),
    release: prepare(`UPDATE jobs SET status = 'queued', ${endLease} WHERE id = $id AND ${held}`),
    complete: prepare(
      `UPDATE jobs SET status = 'succeeded', result = $result, finished_at_ms = $now, ${endLease}
       WHERE id = $id AND ${held}`,
    ),
    failHeld: prepare(
      `UPDATE jobs SET status = 'failed', error = $error, finished_at_ms = $now, ${endLease}
       WHERE id = $id AND ${held}`,
    ),
    failAny: prepare(
      `UPDATE jobs SET status = 'failed', error = $error, finished_at_ms = $now, ${endLease}
       WHERE id = $id AND status IN ('queued', 'running')`,
    ),
    // queued -> canceled now; running keeps running with cancel_requested until its worker stops.
    requestCancel: prepare(
      `UPDATE jobs SET cancel_requested = 1,
         status = CASE status WHEN 'queued' THEN 'canceled' ELSE status END,
         finished_at_ms = CASE status WHEN 'queued' THEN $now ELSE finished_at_ms END
       WHERE id = $id AND status IN ('queued', 'running')
       RETURNING ${jobColumns}`,
    ),
    markCanceled: prepare(
      `UPDATE jobs SET status = 'canceled', result = $result, finished_at_ms = $now, ${endLease}
       WHERE id = $id AND ${held}`,
    ),
    listBatchFirstPage: prepare(
      `SELECT ${jobColumns} FROM jobs WHERE batch_id = $batch ORDER BY custom_id LIMIT $limit`,
    ),
    listBatchPageAfter: prepare(
      `SELECT ${jobColumns} FROM jobs WHERE batch_id = $batch AND custom_id > $after
       ORDER BY custom_id LIMIT $limit`,
    ),
    listBatchInInputOrder: prepare(
      `SELECT ${jobColumns} FROM jobs WHERE batch_id = $batch AND input_index > $after
       ORDER BY input_index LIMIT $limit`,
    ),
    countBatch: prepare(
      'SELECT status, count(*) AS n FROM jobs WHERE batch_id = $batch GROUP BY status',
    ),
    markBatchCanceled: prepare('UPDATE batches SET cancel_requested = 1 WHERE id = $batch'),
    cancelBatchJobs: prepare(
      `UPDATE jobs SET cancel_requested = 1,
         status = CASE status WHEN 'queued' THEN 'canceled' ELSE status END,
         finished_at_ms = CASE status WHEN 'queued' THEN $now ELSE finished_at_ms END
       WHERE batch_id = $batch
         AND (status = 'queued' OR (status = 'running' AND cancel_requested = 0))`,
    ),
    // Back to queued as a new job would be (attempts 0: the worker's claim limit counts
    // this run's claims), keeping id, custom_id, prompt, params and input_index.
    retryBatchJobs: prepare(
      `UPDATE jobs SET status = 'queued', attempts = 0, cancel_requested = 0,
         started_at_ms = NULL, finished_at_ms = NULL, result = NULL, error = NULL, ${endLease},
         published_at_ms = NULL, retries = retries + 1, retried_at_ms = $now
       WHERE batch_id = $batch AND status IN ('failed', 'canceled')
       RETURNING id`,
    ),
    markBatchRetried: prepare(
      `UPDATE batches SET retries = retries + 1, cancel_requested = 0, usage = NULL
       WHERE id = $batch RETURNING *`,
    ),
    setBatchUsage: prepare(
      'UPDATE batches SET usage = $usage WHERE id = $batch AND retries = $retries',
    ),
    countAll: prepare('SELECT status, count(*) AS n FROM jobs GROUP BY status'),
    // Through jobs_by_status: a scan of the queued rows only, cheap at the embedded scale; an
    // index of its own would cost every insert and transition a write for one read path.
    oldestQueued: prepare("SELECT min(created_at_ms) AS at FROM jobs WHERE status = 'queued'"),
    markPublished: prepare(
      'UPDATE jobs SET published_at_ms = $now WHERE id = $id AND published_at_ms IS NULL',
    ),
    // Matches the partial index jobs_unpublished (created_at_ms <= retried_at_ms, so the
    // range on created_at_ms holds every row the coalesce keeps).
    listUnpublished: prepare(
      `SELECT id FROM jobs WHERE published_at_ms IS NULL AND status = 'queued'
         AND created_at_ms <= $before AND coalesce(retried_at_ms, created_at_ms) <= $before
       ORDER BY created_at_ms LIMIT $limit`,
    ),
  };
}
