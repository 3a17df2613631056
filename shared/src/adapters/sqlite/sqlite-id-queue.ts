import type { DatabaseSync } from 'node:sqlite';
import { signalAvailable, waitForAvailable } from './publish-signal.ts';
import { inTransaction } from './transaction.ts';

/** The table of one queue: a row per message, waiting when visible_at_ms <= now. */
export interface IdQueueTable {
  name: 'queue_messages' | 'webhook_queue';
  /** The column holding the id the message carries. */
  idColumn: 'job_id' | 'event_id';
  /** The column counting deliveries so far. */
  countColumn: 'delivery_attempt' | 'delivery_count';
  /**
   * Which waiting rows a pull takes first, and how it finds them. The job queue walks
   * its table in publish order (NOT INDEXED: the waiting backlog is the bulk of the table,
   * so the first hits come at once); the webhook queue takes the longest-due first, by its
   * index on visible_at_ms (most of its rows are deferred into the future).
   */
  scan: 'fifo' | 'due';
}

export interface IdQueueOptions {
  /** Clock for visibility and leases; tests pass a fake one. Default Date.now. */
  now?: (() => number) | undefined;
  /** How often a waiting pull looks for messages published by other processes. */
  pollIntervalMs?: number | undefined;
  /** Wakes in-process pullers of this queue (publish-signal.ts). */
  signalKey: unknown;
}

export interface PulledRow {
  /** "seq:count": names one delivery, so a stale handle does nothing. */
  ackId: string;
  id: string;
  /** Deliveries so far, this one included. */
  deliveries: number;
}

const defaultPollIntervalMs = 25;

/**
 * What the job queue and the webhook delivery queue share on the embedded database: a
 * pull leases waiting rows by moving visible_at_ms to now + lease and counting the
 * delivery, so an unacked message comes back by itself when its lease runs out; ack
 * deletes the delivery; a visibility change moves it. Each queue wraps one core and adds
 * what is its own (the job queue's dead letters, run in the same transactions through
 * the `during` hooks).
 *
 * node:sqlite cannot notify one connection of another's commits, so a waiting pull polls
 * every pollIntervalMs; a publish (or a message made visible now) in this process wakes it
 * at once instead. The first check of each round is a read outside the write lock, so
 * idle polling never blocks writers. A pull still waiting when close() is called returns
 * nothing.
 */
export class SqliteIdQueue {
  readonly #db: DatabaseSync;
  readonly #sql: ReturnType<typeof prepareStatements>;
  readonly #now: () => number;
  readonly #pollIntervalMs: number;
  readonly #signalKey: unknown;
  readonly #closing = new AbortController();

  /** Takes ownership of a handle from openDatabase: close() closes it. */
  constructor(db: DatabaseSync, table: IdQueueTable, options: IdQueueOptions) {
    this.#db = db;
    this.#sql = prepareStatements(db, table);
    this.#now = options.now ?? Date.now;
    this.#pollIntervalMs = options.pollIntervalMs ?? defaultPollIntervalMs;
    this.#signalKey = options.signalKey;
  }

  now(): number {
    return this.#now();
  }

  publish(ids: string[]): void {
    if (ids.length === 0) {
      return;
    }
    const now = this.#now();
    inTransaction(this.#db, () => {
      for (const id of ids) {
        this.#sql.insert.run({ id, now });
      }
    });
    signalAvailable(this.#signalKey);
  }

  /**
   * Up to max rows leased for leaseMs, in the table's order; waits up to waitMs for the
   * first. `during` runs in the lease's transaction, first (the job queue moves exhausted
   * messages to its dead letters there).
   */
  async pull(
    max: number,
    leaseMs: number,
    waitMs: number,
    during?: (now: number) => void,
  ): Promise<PulledRow[]> {
    if (max <= 0) {
      return [];
    }
    const deadline = performance.now() + waitMs;
    for (;;) {
      if (this.#closing.signal.aborted) {
        return [];
      }
      const rows = this.#tryPull(max, leaseMs, during);
      const remainingMs = deadline - performance.now();
      if (rows.length > 0 || remainingMs <= 0) {
        return rows;
      }
      await waitForAvailable(
        this.#signalKey,
        Math.min(remainingMs, this.#pollIntervalMs),
        this.#closing.signal,
      );
    }
  }

  ack(ackId: string): void {
    const delivery = parseAckId(ackId);
    if (delivery !== null) {
      this.#sql.deleteDelivery.run(delivery);
    }
  }

  /**
   * Makes the delivery visible again delayMs from now (0: now, which wakes pullers here).
   * `during` runs in the same transaction, after the change.
   */
  setVisibleIn(ackId: string, delayMs: number, during?: (now: number) => void): void {
    const delivery = parseAckId(ackId);
    if (delivery === null) {
      return;
    }
    const now = this.#now();
    inTransaction(this.#db, () => {
      this.#sql.setVisibleAt.run({ ...delivery, at: now + Math.max(0, delayMs) });
      during?.(now);
    });
    if (delayMs <= 0) {
      signalAvailable(this.#signalKey);
    }
  }

  close(): void {
    this.#closing.abort();
    if (this.#db.isOpen) {
      this.#db.close();
    }
  }

  #tryPull(max: number, leaseMs: number, during?: (now: number) => void): PulledRow[] {
    const now = this.#now();
    if (this.#sql.anyVisible.get({ now }) === undefined) {
      return [];
    }
    const rows = inTransaction(this.#db, () => {
      during?.(now);
      return this.#sql.lease.all({ now, until: now + leaseMs, max });
    });
    // RETURNING does not promise an order; hand them out in publish (seq) order.
    return rows
      .sort((a, b) => Number(a.seq) - Number(b.seq))
      .map((row) => ({
        ackId: `${row.seq}:${row.count}`,
        id: String(row.id),
        deliveries: Number(row.count),
      }));
  }
}

function parseAckId(ackId: string): { seq: number; count: number } | null {
  const match = /^(\d+):(\d+)$/.exec(ackId);
  return match === null ? null : { seq: Number(match[1]), count: Number(match[2]) };
}

function prepareStatements(db: DatabaseSync, table: IdQueueTable) {
  const { name, idColumn, countColumn } = table;
  const delivery = `seq = $seq AND ${countColumn} = $count`;
  const from = table.scan === 'fifo' ? `${name} NOT INDEXED` : name;
  const order = table.scan === 'fifo' ? 'seq' : 'visible_at_ms, seq';
  return {
    insert: db.prepare(`INSERT INTO ${name} (${idColumn}, visible_at_ms) VALUES ($id, $now)`),
    anyVisible: db.prepare(`SELECT 1 AS hit FROM ${from} WHERE visible_at_ms <= $now LIMIT 1`),
    lease: db.prepare(
      `UPDATE ${name} SET ${countColumn} = ${countColumn} + 1, visible_at_ms = $until
       WHERE seq IN (
         SELECT seq FROM ${from} WHERE visible_at_ms <= $now ORDER BY ${order} LIMIT $max)
       RETURNING seq, ${idColumn} AS id, ${countColumn} AS count`,
    ),
    deleteDelivery: db.prepare(`DELETE FROM ${name} WHERE ${delivery}`),
    setVisibleAt: db.prepare(`UPDATE ${name} SET visible_at_ms = $at WHERE ${delivery}`),
  };
}
