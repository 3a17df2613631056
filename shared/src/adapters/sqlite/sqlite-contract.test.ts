import { describeJobQueueContract } from '../../contract/job-queue-contract.ts';
import { describeJobStoreContract } from '../../contract/job-store-contract.ts';
import { SqliteJobQueue } from './sqlite-job-queue.ts';
import { SqliteJobStore } from './sqlite-job-store.ts';
import { temporaryDatabasePath } from './test-database.ts';

describeJobStoreContract('SqliteJobStore', async () => {
  const db = temporaryDatabasePath();
  const store = SqliteJobStore.open(db.path);
  return {
    store,
    cleanup: async () => {
      await store.close();
      db.remove();
    },
  };
});

describeJobQueueContract('SqliteJobQueue (fake clock)', async (options) => {
  const db = temporaryDatabasePath();
  let nowMs = Date.now();
  const queue = SqliteJobQueue.open(db.path, { ...options, now: () => nowMs });
  return {
    queue,
    advanceClock: (ms) => {
      nowMs += ms;
    },
    cleanup: async () => {
      await queue.close();
      db.remove();
    },
  };
});
