import type { Config } from '../config/load-config.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { JobStore } from '../ports/job-store.ts';
import { openFirestoreJobStore } from './firestore/open-firestore-job-store.ts';
import { openPubSubJobQueue } from './pubsub/open-pubsub-job-queue.ts';
import { embeddedDatabasePath } from './sqlite/open-database.ts';
import { SqliteJobQueue } from './sqlite/sqlite-job-queue.ts';
import { SqliteJobStore } from './sqlite/sqlite-job-store.ts';

export interface Backend {
  store: JobStore;
  queue: JobQueue;
  /** Where the data lives, for the start-up log line. */
  description: string;
  close(): Promise<void>;
}

/** The queue and store selected by BACKEND, for the mains: SQLite, or Pub/Sub + Firestore. */
export async function openBackend(config: Config): Promise<Backend> {
  if (config.gcp !== null) {
    const gcp = config.gcp;
    const store = openFirestoreJobStore(gcp);
    const queue = await openPubSubJobQueue(gcp, {
      maxAttempts: config.maxAttempts,
      leaseSeconds: config.leaseSeconds,
    });
    return {
      store,
      queue,
      description: `pubsub ${gcp.pubsubSubscription} + firestore ${gcp.firestoreDatabase} (project ${gcp.projectId})`,
      close: () => closeBoth(queue, store),
    };
  }
  const path = embeddedDatabasePath(config.dataDir);
  const store = SqliteJobStore.open(path);
  const queue = SqliteJobQueue.open(path, { maxAttempts: config.maxAttempts });
  return { store, queue, description: `sqlite ${path}`, close: () => closeBoth(queue, store) };
}

async function closeBoth(queue: JobQueue, store: JobStore): Promise<void> {
  await queue.close();
  await store.close();
}
