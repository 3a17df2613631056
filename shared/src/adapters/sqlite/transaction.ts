import type { DatabaseSync } from 'node:sqlite';

/**
 * Runs `work` in a write transaction. BEGIN IMMEDIATE takes the write lock up front, so two
 * connections never both read and then fail to upgrade (SQLITE_BUSY mid-transaction).
 * `work` is synchronous on purpose: nothing else runs on this thread until it commits.
 */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.isTransaction) {
      db.exec('ROLLBACK');
    }
    throw error;
  }
}
