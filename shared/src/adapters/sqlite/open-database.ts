import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { schemaMigrations } from './schema-migrations.ts';
import { inTransaction } from './transaction.ts';

/** Waits this long for another connection's write lock before failing with SQLITE_BUSY. */
const busyTimeoutMs = 5_000;

/** The database file inside DATA_DIR. */
export function embeddedDatabasePath(dataDir: string): string {
  return join(dataDir, 'warmgen.sqlite');
}

/**
 * Opens (creating if needed) the embedded database at `path` and brings its schema up to
 * date. The job store and the job queue may each open the same file, from one process or
 * several. The caller owns the handle and closes it.
 *
 * WAL with synchronous=NORMAL: a committed transaction survives a crash of the process
 * (kill -9), which is the durability we promise; only power loss may drop the last
 * commits. FULL would add an fsync to every commit and cost the API its latency budget.
 */
export function openDatabase(path: string): DatabaseSync {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true });
  }
  const db = new DatabaseSync(path, { timeout: busyTimeoutMs });
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

function migrate(db: DatabaseSync): void {
  const readVersion = () => Number(db.prepare('PRAGMA user_version').get()?.user_version ?? 0);
  if (readVersion() === schemaMigrations.length) {
    return;
  }
  // Re-read under the write lock: another process may have migrated meanwhile.
  inTransaction(db, () => {
    const version = readVersion();
    if (version > schemaMigrations.length) {
      throw new Error(
        `database schema version ${version} is newer than this build knows (${schemaMigrations.length})`,
      );
    }
    for (const [index, sql] of schemaMigrations.entries()) {
      if (index >= version) {
        db.exec(sql);
      }
    }
    db.exec(`PRAGMA user_version = ${schemaMigrations.length}`);
  });
}
