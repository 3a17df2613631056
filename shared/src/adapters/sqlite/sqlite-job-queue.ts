import type { DatabaseSync } from 'node:sqlite';
import type { JobQueue, QueueMessage } from '../../ports/job-queue.ts';
import { openDatabase } from './open-database.ts';
import { SqliteIdQueue } from './sqlite-id-queue.ts';
import { inTransaction } from './transaction.ts';

export interface SqliteJobQueueOptions {
  /** Deliveries before a message moves to the dead letters instead (MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Clock for visibility and leases; tests pass a fake one. Default Date.now. */
  now?: () => number;
  /** How often a waiting pull looks for messages published by other processes. */
  pollIntervalMs?: number;
  /** Lease on a pulled dead letter, so two workers do not handle it at once. */
  deadLetterLeaseMs?: number;
}

const defaults = { deadLetterLeaseMs: 60_000 };

/**
 * The job queue on the embedded SQLite database: the id-queue core (sqlite-id-queue.ts:
 * leases as visible_at_ms, deliveries counted, ackIds naming one delivery, as with
 * Pub/Sub) on the queue_messages table, plus dead letters. A message already delivered
 * maxAttempts times moves to dead_letters when it would become deliverable again (nacked,
 * or its last lease expired), in the same transaction as the pull or nack that finds it.
 */
export class SqliteJobQueue implements JobQueue {
  readonly #db: DatabaseSync;
  readonly #core: SqliteIdQueue;
  readonly #sql: ReturnType<typeof prepareStatements>;
  readonly #maxAttempts: number;
  readonly #deadLetterLeaseMs: number;
  readonly #moveExhausted = (now: number): void => {
    this.#sql.moveExhaustedToDeadLetters.run({ now, max: this.#maxAttempts });
    this.#sql.deleteExhausted.run({ now, max: this.#maxAttempts });
  };

  /** Opens (and migrates) the database file; close() closes it. */
  static open(path: string, options: SqliteJobQueueOptions): SqliteJobQueue {
    return new SqliteJobQueue(openDatabase(path), options);
  }

  /** Takes ownership of a handle from openDatabase: close() closes it. */
  constructor(db: DatabaseSync, options: SqliteJobQueueOptions) {
    if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1) {
      throw new RangeError(`maxAttempts must be a positive integer, got ${options.maxAttempts}`);
    }
    this.#db = db;
    this.#core = new SqliteIdQueue(
      db,
      { name: 'queue_messages', idColumn: 'job_id', countColumn: 'delivery_attempt', scan: 'fifo' },
      // Signals in-process pullers on this file; the handle itself for :memory:.
      { now: options.now, pollIntervalMs: options.pollIntervalMs, signalKey: db.location() ?? db },
    );
    this.#sql = prepareStatements(db);
    this.#maxAttempts = options.maxAttempts;
    this.#deadLetterLeaseMs = options.deadLetterLeaseMs ?? defaults.deadLetterLeaseMs;
  }

  async publish(jobIds: string[]): Promise<void> {
    this.#core.publish(jobIds);
  }

  async pull(max: number, leaseMs: number, waitMs: number): Promise<QueueMessage[]> {
    const rows = await this.#core.pull(max, leaseMs, waitMs, this.#moveExhausted);
    return rows.map((row) => ({
      ackId: row.ackId,
      jobId: row.id,
      deliveryAttempt: row.deliveries,
    }));
  }

  async ack(message: QueueMessage): Promise<void> {
    this.#core.ack(message.ackId);
  }

  /** Its last attempt goes to the dead letters at once, as Pub/Sub forwards after the last nack. */
  async nack(message: QueueMessage): Promise<void> {
    this.#core.setVisibleIn(message.ackId, 0, this.#moveExhausted);
  }

  async extendLease(message: QueueMessage, leaseMs: number): Promise<void> {
    this.#core.setVisibleIn(message.ackId, leaseMs);
  }

  async pullDeadLetters(max: number): Promise<QueueMessage[]> {
    const now = this.#core.now();
    const rows = inTransaction(this.#db, () => {
      this.#moveExhausted(now);
      return this.#sql.leaseDeadLetters.all({ now, until: now + this.#deadLetterLeaseMs, max });
    });
    return rows
      .sort((a, b) => Number(a.seq) - Number(b.seq))
      .map((row) => ({
        ackId: `dl:${row.seq}:${row.pull_count}`,
        jobId: String(row.job_id),
        deliveryAttempt: Number(row.delivery_attempt),
      }));
  }

  async ackDeadLetter(message: QueueMessage): Promise<void> {
    const match = /^dl:(\d+):(\d+)$/.exec(message.ackId);
    if (match !== null) {
      this.#sql.deleteDeadLetter.run({ seq: Number(match[1]), pulls: Number(match[2]) });
    }
  }

  async depth(): Promise<number> {
    const row = this.#sql.countWaiting.get({ now: this.#core.now(), max: this.#maxAttempts });
    return Number(row?.n ?? 0);
  }

  async close(): Promise<void> {
    this.#core.close();
  }
}

function prepareStatements(db: DatabaseSync) {
  const exhausted = 'delivery_attempt >= $max AND visible_at_ms <= $now';
  return {
    moveExhaustedToDeadLetters: db.prepare(
      `INSERT INTO dead_letters (job_id, delivery_attempt, visible_at_ms)
       SELECT job_id, delivery_attempt, $now FROM queue_messages WHERE ${exhausted} ORDER BY seq`,
    ),
    deleteExhausted: db.prepare(`DELETE FROM queue_messages WHERE ${exhausted}`),
    leaseDeadLetters: db.prepare(
      `UPDATE dead_letters SET pull_count = pull_count + 1, visible_at_ms = $until
       WHERE seq IN (
         SELECT seq FROM dead_letters WHERE visible_at_ms <= $now ORDER BY seq LIMIT $max)
       RETURNING seq, job_id, delivery_attempt, pull_count`,
    ),
    deleteDeadLetter: db.prepare(
      'DELETE FROM dead_letters WHERE seq = $seq AND pull_count = $pulls',
    ),
    countWaiting: db.prepare(
      'SELECT count(*) AS n FROM queue_messages WHERE visible_at_ms <= $now AND delivery_attempt < $max',
    ),
  };
}
