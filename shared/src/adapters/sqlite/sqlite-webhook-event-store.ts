import type { DatabaseSync } from 'node:sqlite';
import {
  maxRecordedAttempts,
  type WebhookAttempt,
  type WebhookDeliveryState,
  type WebhookEvent,
} from '../../domain/webhook-event.ts';
import type { WebhookEventStore } from '../../ports/webhook-event-store.ts';
import { openDatabase } from './open-database.ts';
import { inTransaction } from './transaction.ts';
import { rowToWebhookEvent, webhookEventColumns } from './webhook-event-rows.ts';

/**
 * Webhook events on the embedded SQLite database. The events themselves are written by the
 * trigger jobs_webhook_outbox (schema-migrations.ts) inside the job store's terminal
 * transitions; this adapter moves them through dispatch, attempts and redelivery, each
 * step one conditional UPDATE.
 */
export class SqliteWebhookEventStore implements WebhookEventStore {
  readonly #db: DatabaseSync;
  readonly #sql: ReturnType<typeof prepareStatements>;

  static open(path: string): SqliteWebhookEventStore {
    return new SqliteWebhookEventStore(openDatabase(path));
  }

  /** Takes ownership of a handle from openDatabase: close() closes it. */
  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#sql = prepareStatements(db);
  }

  /** The trigger records batch.completed with the batch's last transition: nothing owed. */
  async recordBatchCompletions(_nowMs: number): Promise<number> {
    return 0;
  }

  async listUndispatched(limit: number): Promise<WebhookEvent[]> {
    return this.#sql.undispatched.all({ limit }).map(rowToWebhookEvent);
  }

  async markDispatched(id: string, payload: string, nowMs: number): Promise<void> {
    this.#sql.markDispatched.run({ id, payload, now: nowMs });
  }

  async listStale(nowMs: number, staleAfterMs: number, limit: number): Promise<WebhookEvent[]> {
    return this.#sql.stale
      .all({ now: nowMs, before: nowMs - staleAfterMs, limit })
      .map(rowToWebhookEvent);
  }

  async getEvent(id: string): Promise<WebhookEvent | null> {
    const row = this.#sql.byId.get({ id });
    return row === undefined ? null : rowToWebhookEvent(row);
  }

  async getEventFor(subjectId: string): Promise<WebhookEvent | null> {
    const row = this.#sql.bySubject.get({ subject: subjectId });
    return row === undefined ? null : rowToWebhookEvent(row);
  }

  async claimAttempt(
    id: string,
    workerId: string,
    leaseMs: number,
    nowMs: number,
  ): Promise<WebhookEvent | null> {
    const row = this.#sql.claim.get({ id, worker: workerId, now: nowMs, until: nowMs + leaseMs });
    return row === undefined ? null : rowToWebhookEvent(row);
  }

  async finishAttempt(
    id: string,
    workerId: string,
    attempt: WebhookAttempt,
    next: { state: WebhookDeliveryState; nextAttemptAtMs: number | null },
  ): Promise<boolean> {
    return inTransaction(this.#db, () => {
      const row = this.#sql.heldAttempts.get({ id, worker: workerId });
      if (row === undefined) {
        return false;
      }
      const attempts = [...(JSON.parse(String(row.attempts)) as WebhookAttempt[]), attempt];
      this.#sql.finish.run({
        id,
        worker: workerId,
        attempts: JSON.stringify(attempts.slice(-maxRecordedAttempts)),
        state: next.state,
        next: next.state === 'pending' ? next.nextAttemptAtMs : null,
      });
      return true;
    });
  }

  async redeliver(
    subjectId: string,
    nowMs: number,
  ): Promise<{ event: WebhookEvent; restarted: boolean } | null> {
    return inTransaction(this.#db, () => {
      const restarted = this.#sql.redeliver.get({ subject: subjectId, now: nowMs });
      if (restarted !== undefined) {
        return { event: rowToWebhookEvent(restarted), restarted: true };
      }
      const row = this.#sql.bySubject.get({ subject: subjectId });
      return row === undefined ? null : { event: rowToWebhookEvent(row), restarted: false };
    });
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) {
      this.#db.close();
    }
  }
}

const notLeased = '(lease_owner IS NULL OR lease_expires_at_ms <= $now)';

function prepareStatements(db: DatabaseSync) {
  const returning = `RETURNING ${webhookEventColumns}`;
  return {
    // Matches the partial index webhook_events_outbox.
    undispatched: db.prepare(
      `SELECT ${webhookEventColumns} FROM webhook_events WHERE dispatched_at_ms IS NULL
       ORDER BY created_at_ms LIMIT $limit`,
    ),
    markDispatched: db.prepare(
      `UPDATE webhook_events SET dispatched_at_ms = $now, payload = coalesce(payload, $payload)
       WHERE id = $id`,
    ),
    // Matches the partial index webhook_events_pending.
    stale: db.prepare(
      `SELECT ${webhookEventColumns} FROM webhook_events
       WHERE state = 'pending' AND next_attempt_at_ms <= $before
         AND dispatched_at_ms IS NOT NULL AND dispatched_at_ms <= $before AND ${notLeased}
       ORDER BY next_attempt_at_ms LIMIT $limit`,
    ),
    byId: db.prepare(`SELECT ${webhookEventColumns} FROM webhook_events WHERE id = $id`),
    // The latest round's: a retried row or batch has one event per run (round = its retries).
    bySubject: db.prepare(
      `SELECT ${webhookEventColumns} FROM webhook_events WHERE subject_id = $subject
       ORDER BY round DESC, created_at_ms LIMIT 1`,
    ),
    claim: db.prepare(
      `UPDATE webhook_events SET lease_owner = $worker, lease_expires_at_ms = $until
       WHERE id = $id AND state = 'pending' AND next_attempt_at_ms <= $now AND ${notLeased}
       ${returning}`,
    ),
    heldAttempts: db.prepare(
      `SELECT attempts FROM webhook_events
       WHERE id = $id AND state = 'pending' AND lease_owner = $worker`,
    ),
    finish: db.prepare(
      `UPDATE webhook_events SET attempts = $attempts, state = $state,
         schedule_attempts = schedule_attempts + 1, next_attempt_at_ms = $next,
         lease_owner = NULL, lease_expires_at_ms = NULL
       WHERE id = $id AND lease_owner = $worker`,
    ),
    redeliver: db.prepare(
      `UPDATE webhook_events SET state = 'pending', schedule_attempts = 0,
         next_attempt_at_ms = $now, dispatched_at_ms = NULL
       WHERE id = (SELECT id FROM webhook_events WHERE subject_id = $subject
           ORDER BY round DESC, created_at_ms LIMIT 1)
         AND ${notLeased}
       ${returning}`,
    ),
  };
}
