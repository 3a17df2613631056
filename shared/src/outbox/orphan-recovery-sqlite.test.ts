import { SqliteJobQueue } from '../adapters/sqlite/sqlite-job-queue.ts';
import { SqliteJobStore } from '../adapters/sqlite/sqlite-job-store.ts';
import { temporaryDatabasePath } from '../adapters/sqlite/test-database.ts';
import { describeOrphanRecoveryContract } from '../contract/orphan-recovery-contract.ts';

describeOrphanRecoveryContract('SQLite', async () => {
  const db = temporaryDatabasePath();
  const store = SqliteJobStore.open(db.path);
  const queue = SqliteJobQueue.open(db.path, { maxAttempts: 5 });
  return {
    store,
    queue,
    cleanup: async () => {
      await queue.close();
      await store.close();
      db.remove();
    },
  };
});
