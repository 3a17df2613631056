import { describeJobQueueContract } from '../../contract/job-queue-contract.ts';
import { SqliteJobQueue } from './sqlite-job-queue.ts';
import { temporaryDatabasePath } from './test-database.ts';

// The same suite in real time, as an emulator-backed adapter runs it: proves the suite's
// real-time path and the adapter's use of the wall clock.
describeJobQueueContract('SqliteJobQueue (real clock)', async (options) => {
  const db = temporaryDatabasePath();
  const queue = SqliteJobQueue.open(db.path, options);
  return {
    queue,
    cleanup: async () => {
      await queue.close();
      db.remove();
    },
  };
});
