import type { DatabaseSync } from 'node:sqlite';
import type { DeliveryMessage, WebhookDeliveryQueue } from '../../ports/webhook-delivery-queue.ts';
import { openDatabase } from './open-database.ts';
import { SqliteIdQueue } from './sqlite-id-queue.ts';

export interface SqliteWebhookDeliveryQueueOptions {
  now?: () => number;
  /** How often a waiting pull looks for messages from other processes. */
  pollIntervalMs?: number;
}

/**
 * The webhook delivery queue on the embedded SQLite database: the id-queue core
 * (sqlite-id-queue.ts) on the webhook_queue table, without dead letters (the event store
 * decides when a delivery is over). retryLater moves visible_at_ms.
 */
export class SqliteWebhookDeliveryQueue implements WebhookDeliveryQueue {
  readonly #core: SqliteIdQueue;

  static open(path: string, options: SqliteWebhookDeliveryQueueOptions = {}) {
    return new SqliteWebhookDeliveryQueue(openDatabase(path), options);
  }

  /** Takes ownership of a handle from openDatabase: close() closes it. */
  constructor(db: DatabaseSync, options: SqliteWebhookDeliveryQueueOptions = {}) {
    // Not the job queue's key: a webhook publish must not wake job pullers.
    const location = db.location();
    this.#core = new SqliteIdQueue(
      db,
      { name: 'webhook_queue', idColumn: 'event_id', countColumn: 'delivery_count', scan: 'due' },
      {
        now: options.now,
        pollIntervalMs: options.pollIntervalMs,
        signalKey: location === null ? db : `${location}#webhooks`,
      },
    );
  }

  async publish(eventIds: string[]): Promise<void> {
    this.#core.publish(eventIds);
  }

  async pull(max: number, leaseMs: number, waitMs: number): Promise<DeliveryMessage[]> {
    const rows = await this.#core.pull(max, leaseMs, waitMs);
    return rows.map((row) => ({ ackId: row.ackId, eventId: row.id }));
  }

  async ack(message: DeliveryMessage): Promise<void> {
    this.#core.ack(message.ackId);
  }

  async retryLater(message: DeliveryMessage, delayMs: number): Promise<void> {
    this.#core.setVisibleIn(message.ackId, delayMs);
  }

  async close(): Promise<void> {
    this.#core.close();
  }
}
