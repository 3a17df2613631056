import { describeWorkerHeartbeatsContract } from '../../contract/worker-heartbeats-contract.ts';
import { SqliteWorkerHeartbeats } from './sqlite-worker-heartbeats.ts';
import { temporaryDatabasePath } from './test-database.ts';

/** Two connections on one file, as a worker process and an API process have. */
let opened: { handles: SqliteWorkerHeartbeats[]; remove: () => void } | null = null;

describeWorkerHeartbeatsContract('SqliteWorkerHeartbeats', {
  async open() {
    const db = temporaryDatabasePath();
    const handles = [SqliteWorkerHeartbeats.open(db.path), SqliteWorkerHeartbeats.open(db.path)];
    opened = { handles, remove: db.remove };
    return handles as [SqliteWorkerHeartbeats, SqliteWorkerHeartbeats];
  },
  async close() {
    if (opened !== null) {
      await Promise.all(opened.handles.map((handle) => handle.close()));
      opened.remove();
      opened = null;
    }
  },
});
