import type { DatabaseSync } from 'node:sqlite';
import type { DeliveryMessage, WebhookDeliveryQueue } from '../../ports/webhook-delivery-queue.ts';
import { openDatabase } from './open-database.ts';
import { signalAvailable, waitForAvailable } from './publish-signal.ts';
import { inTransaction } from './transaction.ts';

export interface SqliteWebhookDeliveryQueueOptions {
  now?: () => number;
  /** How often a waiting pull looks for messages from other processes. */
  pollIntervalMs?: number;
}

/**
 * The webhook delivery queue on the embedded SQLite database: the job queue's design
 * without dead letters (the event store decides when a delivery is over). A row is
 * waiting when visible_at_ms <= now; pulling leases it; retryLater moves visible_at_ms.
 * An ackId names one delivery ("seq:count"), so a stale handle does nothing.
 */
export class SqliteWebhookDeliveryQueue implements WebhookDeliveryQueue {
  readonly #db: DatabaseSync;
  readonly #sql: ReturnType<typeof prepareStatements>;
  readonly #now: () => number;
  readonly #pollIntervalMs: number;
  readonly #signalKey: unknown;
  readonly #closing = new AbortController();

  static open(path: string, options: SqliteWebhookDeliveryQueueOptions = {}) {
    return new SqliteWebhookDeliveryQueue(openDatabase(path), options);
  }

  constructor(db: DatabaseSync, options: SqliteWebhookDeliveryQueueOptions = {}) {
    this.#db = db;
    this.#sql = prepareStatements(db);
    this.#now = options.now ?? Date.now;
    this.#pollIntervalMs = options.pollIntervalMs ?? 50;
    // Not the job queue's key: a webhook publish must not wake job pullers.
    const location = db.location();
    this.#signalKey = location === null ? db : `${location}#webhooks`;
  }

  async publish(eventIds: string[]): Promise<void> {
    if (eventIds.length === 0) {
      return;
    }
    const now = this.#now();
    inTransaction(this.#db, () => {
      for (const eventId of eventIds) {
        this.#sql.insert.run({ event: eventId, now });
      }
    });
    signalAvailable(this.#signalKey);
  }

  async pull(max: number, leaseMs: number, waitMs: number): Promise<DeliveryMessage[]> {
    const deadline = performance.now() + waitMs;
    for (;;) {
      const messages = max > 0 ? this.#tryPull(max, leaseMs) : [];
      const remainingMs = deadline - performance.now();
      if (messages.length > 0 || remainingMs <= 0 || this.#closing.signal.aborted) {
        return messages;
      }
      await waitForAvailable(
        this.#signalKey,
        Math.min(remainingMs, this.#pollIntervalMs),
        this.#closing.signal,
      );
    }
  }

  async ack(message: DeliveryMessage): Promise<void> {
    const delivery = parseAckId(message.ackId);
    if (delivery !== null) {
      this.#sql.delete.run(delivery);
    }
  }

  async retryLater(message: DeliveryMessage, delayMs: number): Promise<void> {
    const delivery = parseAckId(message.ackId);
    if (delivery !== null) {
      this.#sql.setVisibleAt.run({ ...delivery, at: this.#now() + Math.max(0, delayMs) });
      if (delayMs <= 0) {
        signalAvailable(this.#signalKey);
      }
    }
  }

  async close(): Promise<void> {
    this.#closing.abort();
    if (this.#db.isOpen) {
      this.#db.close();
    }
  }

  #tryPull(max: number, leaseMs: number): DeliveryMessage[] {
    const now = this.#now();
    if (this.#sql.anyVisible.get({ now }) === undefined) {
      return [];
    }
    const rows = this.#sql.lease.all({ now, until: now + leaseMs, max });
    return rows
      .sort((a, b) => Number(a.seq) - Number(b.seq))
      .map((row) => ({
        ackId: `${row.seq}:${row.delivery_count}`,
        eventId: String(row.event_id),
      }));
  }
}

function parseAckId(ackId: string): { seq: number; count: number } | null {
  const match = /^(\d+):(\d+)$/.exec(ackId);
  return match === null ? null : { seq: Number(match[1]), count: Number(match[2]) };
}

function prepareStatements(db: DatabaseSync) {
  const delivery = 'seq = $seq AND delivery_count = $count';
  return {
    insert: db.prepare('INSERT INTO webhook_queue (event_id, visible_at_ms) VALUES ($event, $now)'),
    anyVisible: db.prepare(
      'SELECT 1 AS hit FROM webhook_queue WHERE visible_at_ms <= $now LIMIT 1',
    ),
    lease: db.prepare(
      `UPDATE webhook_queue SET delivery_count = delivery_count + 1, visible_at_ms = $until
       WHERE seq IN (
         SELECT seq FROM webhook_queue WHERE visible_at_ms <= $now
         ORDER BY visible_at_ms, seq LIMIT $max)
       RETURNING seq, event_id, delivery_count`,
    ),
    delete: db.prepare(`DELETE FROM webhook_queue WHERE ${delivery}`),
    setVisibleAt: db.prepare(`UPDATE webhook_queue SET visible_at_ms = $at WHERE ${delivery}`),
  };
}
