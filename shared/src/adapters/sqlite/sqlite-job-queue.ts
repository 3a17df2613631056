import type { DatabaseSync } from 'node:sqlite';
import type { JobQueue, QueueMessage } from '../../ports/job-queue.ts';
import { openDatabase } from './open-database.ts';
import { signalAvailable, waitForAvailable } from './publish-signal.ts';
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

const defaults = { pollIntervalMs: 25, deadLetterLeaseMs: 60_000 };

/**
 * The job queue on the embedded SQLite database. A message row is waiting when
 * visible_at_ms <= now; pulling leases it by moving visible_at_ms to now + lease and
 * counting the delivery, so an unacked message comes back by itself when the lease runs
 * out. A message already delivered maxAttempts times moves to dead_letters when it would
 * become deliverable again (nacked, or its last lease expired).
 *
 * An ackId names one delivery ("seq:attempt"): ack, nack and extendLease from a delivery
 * whose lease expired and that was delivered again since do nothing, as with Pub/Sub.
 */
export class SqliteJobQueue implements JobQueue {
  readonly #db: DatabaseSync;
  readonly #sql: ReturnType<typeof prepareStatements>;
  readonly #maxAttempts: number;
  readonly #now: () => number;
  readonly #pollIntervalMs: number;
  readonly #deadLetterLeaseMs: number;
  /** Signals in-process pullers on this file; the handle itself for :memory:. */
  readonly #signalKey: unknown;
  readonly #closing = new AbortController();

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
    this.#sql = prepareStatements(db);
    this.#maxAttempts = options.maxAttempts;
    this.#now = options.now ?? Date.now;
    this.#pollIntervalMs = options.pollIntervalMs ?? defaults.pollIntervalMs;
    this.#deadLetterLeaseMs = options.deadLetterLeaseMs ?? defaults.deadLetterLeaseMs;
    this.#signalKey = db.location() ?? db;
  }

  async publish(jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) {
      return;
    }
    const now = this.#now();
    inTransaction(this.#db, () => {
      for (const jobId of jobIds) {
        this.#sql.insert.run({ job: jobId, now });
      }
    });
    signalAvailable(this.#signalKey);
  }

  /**
   * node:sqlite cannot notify one connection of another's commits, so a waiting pull polls
   * every pollIntervalMs; a publish or nack in this process wakes it at once instead.
   * The first check of each round is a read outside the write lock, so idle polling never
   * blocks writers.
   */
  async pull(max: number, leaseMs: number, waitMs: number): Promise<QueueMessage[]> {
    if (max <= 0) {
      return [];
    }
    const deadline = performance.now() + waitMs;
    for (;;) {
      const messages = this.#tryPull(max, leaseMs);
      const remainingMs = deadline - performance.now();
      if (messages.length > 0 || remainingMs <= 0 || this.#closing.signal.aborted) {
        return messages;
      }
      await waitForAvailable(
        this.#signalKey,
        Math.min(remainingMs, this.#pollIntervalMs),
        this.#closing.signal,
      );
      if (this.#closing.signal.aborted) {
        return [];
      }
    }
  }

  async ack(message: QueueMessage): Promise<void> {
    const delivery = parseAckId(message.ackId);
    if (delivery !== null) {
      this.#sql.deleteDelivery.run(delivery);
    }
  }

  async nack(message: QueueMessage): Promise<void> {
    const delivery = parseAckId(message.ackId);
    if (delivery === null) {
      return;
    }
    const now = this.#now();
    inTransaction(this.#db, () => {
      this.#sql.makeVisible.run({ ...delivery, now });
      // Its last attempt: to the dead letters now, as Pub/Sub forwards after the last nack.
      this.#moveExhausted(now);
    });
    signalAvailable(this.#signalKey);
  }

  async extendLease(message: QueueMessage, leaseMs: number): Promise<void> {
    const delivery = parseAckId(message.ackId);
    if (delivery !== null) {
      this.#sql.setVisibleAt.run({ ...delivery, until: this.#now() + leaseMs });
    }
  }

  async pullDeadLetters(max: number): Promise<QueueMessage[]> {
    const now = this.#now();
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
    const row = this.#sql.countWaiting.get({ now: this.#now(), max: this.#maxAttempts });
    return Number(row?.n ?? 0);
  }

  async close(): Promise<void> {
    this.#closing.abort();
    if (this.#db.isOpen) {
      this.#db.close();
    }
  }

  #tryPull(max: number, leaseMs: number): QueueMessage[] {
    const now = this.#now();
    if (this.#sql.anyVisible.get({ now }) === undefined) {
      return [];
    }
    const rows = inTransaction(this.#db, () => {
      this.#moveExhausted(now);
      return this.#sql.lease.all({ now, until: now + leaseMs, max });
    });
    // RETURNING does not promise an order; deliver in publish (FIFO) order.
    return rows
      .sort((a, b) => Number(a.seq) - Number(b.seq))
      .map((row) => ({
        ackId: `${row.seq}:${row.delivery_attempt}`,
        jobId: String(row.job_id),
        deliveryAttempt: Number(row.delivery_attempt),
      }));
  }

  /** Waiting messages that were already delivered maxAttempts times become dead letters. */
  #moveExhausted(now: number): void {
    this.#sql.moveExhaustedToDeadLetters.run({ now, max: this.#maxAttempts });
    this.#sql.deleteExhausted.run({ now, max: this.#maxAttempts });
  }
}

function parseAckId(ackId: string): { seq: number; attempt: number } | null {
  const match = /^(\d+):(\d+)$/.exec(ackId);
  return match === null ? null : { seq: Number(match[1]), attempt: Number(match[2]) };
}

function prepareStatements(db: DatabaseSync) {
  const exhausted = 'delivery_attempt >= $max AND visible_at_ms <= $now';
  const delivery = 'seq = $seq AND delivery_attempt = $attempt';
  return {
    insert: db.prepare('INSERT INTO queue_messages (job_id, visible_at_ms) VALUES ($job, $now)'),
    // NOT INDEXED: walk in seq order and stop at the first hit; the waiting backlog is
    // the bulk of the table, leased rows are few (bounded by what workers hold).
    anyVisible: db.prepare(
      'SELECT 1 AS hit FROM queue_messages NOT INDEXED WHERE visible_at_ms <= $now LIMIT 1',
    ),
    lease: db.prepare(
      `UPDATE queue_messages SET delivery_attempt = delivery_attempt + 1, visible_at_ms = $until
       WHERE seq IN (
         SELECT seq FROM queue_messages NOT INDEXED WHERE visible_at_ms <= $now
         ORDER BY seq LIMIT $max)
       RETURNING seq, job_id, delivery_attempt`,
    ),
    moveExhaustedToDeadLetters: db.prepare(
      `INSERT INTO dead_letters (job_id, delivery_attempt, visible_at_ms)
       SELECT job_id, delivery_attempt, $now FROM queue_messages WHERE ${exhausted} ORDER BY seq`,
    ),
    deleteExhausted: db.prepare(`DELETE FROM queue_messages WHERE ${exhausted}`),
    deleteDelivery: db.prepare(`DELETE FROM queue_messages WHERE ${delivery}`),
    makeVisible: db.prepare(`UPDATE queue_messages SET visible_at_ms = $now WHERE ${delivery}`),
    setVisibleAt: db.prepare(`UPDATE queue_messages SET visible_at_ms = $until WHERE ${delivery}`),
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
