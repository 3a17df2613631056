import { openDatabase } from '@warmgen/shared/adapters/sqlite/open-database.ts';
import { SqliteJobStore } from '@warmgen/shared/adapters/sqlite/sqlite-job-store.ts';
import { SqliteWebhookDeliveryQueue } from '@warmgen/shared/adapters/sqlite/sqlite-webhook-delivery-queue.ts';
import { SqliteWebhookEventStore } from '@warmgen/shared/adapters/sqlite/sqlite-webhook-event-store.ts';
import { temporaryDatabasePath } from '@warmgen/shared/adapters/sqlite/test-database.ts';
import {
  batchFixture,
  newJobFixture,
  resultFixture,
} from '@warmgen/shared/contract/job-fixtures.ts';
import { newBatchId } from '@warmgen/shared/domain/ids.ts';
import type { Job, WebhookSpec } from '@warmgen/shared/domain/job.ts';
import { webhookAddressPolicy } from '@warmgen/shared/webhooks/webhook-address-policy.ts';
import {
  createRecordingLogger,
  type RecordingLogger,
} from '../../run-loop/test-support/recording-logger.ts';
import type { DeliveryConfig } from '../delivery-context.ts';
import { createDeliveryWorker, type DeliveryWorker } from '../delivery-worker.ts';
import { createWebhookSender, type WebhookSender } from '../webhook-sender.ts';
import { testSecret } from './webhook-receiver.ts';

/**
 * The delivery worker on the real SQLite stores and queue with the real HTTP sender
 * (loopback allowed), for tests that run receivers on loopback. Jobs are finished through
 * the real job store, so the outbox trigger records their events as in production.
 */
export interface DeliveryHarness {
  jobs: SqliteJobStore;
  events: SqliteWebhookEventStore;
  queue: SqliteWebhookDeliveryQueue;
  logger: RecordingLogger;
  secret: string;
  startWorker(config?: Partial<DeliveryConfig>): DeliveryWorker;
  finishJob(webhook: WebhookSpec, outcome?: 'succeeded' | 'failed' | 'canceled'): Promise<Job>;
  finishBatch(webhook: WebhookSpec, items: number): Promise<string>;
  close(): Promise<void>;
}

const workerId = 'worker_test';

export function openDeliveryHarness(defaults: Partial<DeliveryConfig> = {}): DeliveryHarness {
  const tmp = temporaryDatabasePath();
  const jobs = new SqliteJobStore(openDatabase(tmp.path));
  const events = new SqliteWebhookEventStore(openDatabase(tmp.path));
  const queue = new SqliteWebhookDeliveryQueue(openDatabase(tmp.path), { pollIntervalMs: 10 });
  const logger = createRecordingLogger();
  const secret = testSecret(9);
  const workers: DeliveryWorker[] = [];
  const senders: WebhookSender[] = [];

  async function finish(job: Job, outcome: 'succeeded' | 'failed' | 'canceled') {
    await jobs.claimJob({ id: job.id, workerId, leaseMs: 60_000, nowMs: Date.now() });
    if (outcome === 'succeeded') {
      await jobs.completeJob({ id: job.id, workerId, result: resultFixture, nowMs: Date.now() });
    } else if (outcome === 'failed') {
      await jobs.failJob({
        id: job.id,
        error: { code: 'boom', message: 'it broke' },
        nowMs: Date.now(),
        workerId,
      });
    } else {
      await jobs.requestCancel({ id: job.id, nowMs: Date.now() });
      await jobs.markCanceled({ id: job.id, workerId, nowMs: Date.now() });
    }
  }

  return {
    jobs,
    events,
    queue,
    logger,
    secret,
    startWorker(config = {}) {
      const merged: DeliveryConfig = {
        retryScheduleMs: [0, 100, 100, 100],
        timeoutMs: 2_000,
        concurrency: 16,
        dispatchIntervalMs: 20,
        ...defaults,
        ...config,
      };
      const sender = createWebhookSender({
        policy: webhookAddressPolicy({ allowHosts: ['loopback'], allowPrivate: false }),
        resolve: async () => ['127.0.0.1'],
        timeoutMs: merged.timeoutMs,
      });
      senders.push(sender);
      const worker = createDeliveryWorker({
        events,
        jobs,
        queue,
        send: sender.send,
        secrets: [secret],
        logger,
        config: merged,
        workerId: `delivery_${workers.length}`,
      });
      workers.push(worker);
      worker.start();
      return worker;
    },
    async finishJob(webhook, outcome = 'succeeded') {
      const [job] = await jobs.createJobs([newJobFixture({ webhook })]);
      if (job === undefined) {
        throw new Error('no job');
      }
      await finish(job, outcome);
      return (await jobs.getJob(job.id)) ?? job;
    },
    async finishBatch(webhook, items) {
      const batchId = newBatchId();
      const batch = { ...batchFixture(batchId, items), webhook };
      const rows = Array.from({ length: items }, (_, i) =>
        newJobFixture({ batchId, customId: `item-${i}` }),
      );
      await jobs.createBatch({ batch, jobs: rows });
      for (const row of rows) {
        await finish(row as Job, 'succeeded');
      }
      return batchId;
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.stop()));
      for (const sender of senders) {
        sender.close();
      }
      await queue.close();
      await events.close();
      await jobs.close();
      tmp.remove();
    },
  };
}

/** Polls until check() returns a value other than undefined, or throws after timeoutMs. */
export async function waitUntil<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
