import type { Config } from '../config/load-config.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { JobStore } from '../ports/job-store.ts';
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

/** The queue and store selected by BACKEND, for the API and worker mains. */
export async function openBackend(config: Config): Promise<Backend> {
  const path = embeddedDatabasePath(config.dataDir);
  const store = SqliteJobStore.open(path);
  const queue = SqliteJobQueue.open(path, { maxAttempts: config.maxAttempts });
  return {
    store,
    queue,
    description: `sqlite ${path}`,
    close: async () => {
      await queue.close();
      await store.close();
    },
  };
}
