import type { Config } from '../config/load-config.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { JobStore } from '../ports/job-store.ts';
import type { OpenAiStores } from '../ports/openai-batch-store.ts';
import type { WebhookDeliveryQueue } from '../ports/webhook-delivery-queue.ts';
import type { WebhookEventStore } from '../ports/webhook-event-store.ts';
import type { WorkerHeartbeats } from '../ports/worker-heartbeats.ts';
import type { WorkerProcesses } from '../ports/worker-processes.ts';
import { embeddedDatabasePath } from './sqlite/open-database.ts';
import { SqliteFileStore } from './sqlite/sqlite-file-store.ts';
import { SqliteJobQueue } from './sqlite/sqlite-job-queue.ts';
import { SqliteJobStore } from './sqlite/sqlite-job-store.ts';
import { SqliteOpenAiBatchStore } from './sqlite/sqlite-openai-batch-store.ts';
import { SqliteWebhookDeliveryQueue } from './sqlite/sqlite-webhook-delivery-queue.ts';
import { SqliteWebhookEventStore } from './sqlite/sqlite-webhook-event-store.ts';
import { SqliteWorkerHeartbeats } from './sqlite/sqlite-worker-heartbeats.ts';
import { SqliteWorkerProcesses } from './sqlite/sqlite-worker-processes.ts';
import { SqliteWriteProbe } from './sqlite/sqlite-write-probe.ts';

export interface Backend {
  store: JobStore;
  queue: JobQueue;
  /** Webhook events and their delivery queue (SQLite; or Firestore + Pub/Sub). */
  webhooks: { events: WebhookEventStore; queue: WebhookDeliveryQueue };
  /**
   * Uploaded files and OpenAI batch records, for /openai/v1 Files and Batches. Null where
   * the backend has no adapters for them yet (gcp): those routes then answer 503.
   */
  openai: OpenAiStores | null;
  /** Workers' heartbeat records: written by workers, read by GET /v1/capacity and metrics. */
  heartbeats: WorkerHeartbeats;
  /**
   * A tiny durable write, for the API's readiness to see the store take writes again
   * after a storage failure (SQLite).
   */
  probeWrites?: () => Promise<void>;
  /**
   * A cheap call to the store's service, for the API's readiness to see it answer at all
   * (gcp: a Firestore read). /readyz runs it while healthy too: an unreachable service is
   * not reported by a write until a client tries one.
   */
  probeService?: () => Promise<void>;
  /**
   * The worker processes sharing the embedded database, so a restarted one releases a dead
   * one's jobs at once (ports/worker-processes.ts). Absent on gcp: leases do it there.
   */
  workerProcesses?: WorkerProcesses;
  /** Where the data lives, for the start-up log line. */
  description: string;
  close(): Promise<void>;
}

/** The queue and store selected by BACKEND, for the mains: SQLite, or Pub/Sub + Firestore. */
export async function openBackend(config: Config): Promise<Backend> {
  if (config.gcp !== null) {
    // Loaded only here: the Google Cloud client libraries take seconds to import, which
    // every embedded start (npm start, tests) would otherwise pay.
    const [
      { openFirestoreJobStore },
      { openPubSubJobQueue },
      { openGcpWebhooks },
      { openGcpOpenAiStores },
      { openFirestoreWorkerHeartbeats },
      { openFirestoreProbe },
    ] = await Promise.all([
      import('./firestore/open-firestore-job-store.ts'),
      import('./pubsub/open-pubsub-job-queue.ts'),
      import('./open-gcp-webhooks.ts'),
      import('./open-gcp-openai-stores.ts'),
      import('./firestore/open-firestore-worker-heartbeats.ts'),
      import('./firestore/open-firestore-probe.ts'),
    ]);
    const gcp = config.gcp;
    const store = openFirestoreJobStore(gcp);
    const queue = await openPubSubJobQueue(gcp, {
      maxAttempts: config.maxAttempts,
      leaseSeconds: config.leaseSeconds,
    });
    const webhooks = await openGcpWebhooks(config);
    const openai = openGcpOpenAiStores(config);
    const heartbeats = openFirestoreWorkerHeartbeats(gcp);
    const probe = openFirestoreProbe(gcp);
    return {
      store,
      queue,
      webhooks,
      openai,
      heartbeats,
      probeService: () => probe.probe(),
      description: `pubsub ${gcp.pubsubSubscription} + firestore ${gcp.firestoreDatabase} (project ${gcp.projectId})`,
      close: async () => {
        await probe.close();
        await heartbeats.close();
        await openai?.files.close();
        await openai?.batches.close();
        await webhooks.queue.close();
        await webhooks.events.close();
        await closeBoth(queue, store);
      },
    };
  }
  const path = embeddedDatabasePath(config.dataDir);
  const store = SqliteJobStore.open(path);
  const queue = SqliteJobQueue.open(path, { maxAttempts: config.maxAttempts });
  const webhooks = {
    events: SqliteWebhookEventStore.open(path),
    queue: SqliteWebhookDeliveryQueue.open(path),
  };
  const probe = SqliteWriteProbe.open(path);
  const openai = { files: SqliteFileStore.open(path), batches: SqliteOpenAiBatchStore.open(path) };
  const heartbeats = SqliteWorkerHeartbeats.open(path);
  const workerProcesses = SqliteWorkerProcesses.open(path);
  return {
    store,
    queue,
    webhooks,
    openai,
    heartbeats,
    workerProcesses,
    probeWrites: () => probe.probe(),
    description: `sqlite ${path}`,
    close: async () => {
      await workerProcesses.close();
      await heartbeats.close();
      await probe.close();
      await openai.files.close();
      await openai.batches.close();
      await webhooks.queue.close();
      await webhooks.events.close();
      await closeBoth(queue, store);
    },
  };
}

async function closeBoth(queue: JobQueue, store: JobStore): Promise<void> {
  await queue.close();
  await store.close();
}
