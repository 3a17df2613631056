import type { DatabaseSync } from 'node:sqlite';
import { openDatabase } from './open-database.ts';
import { inTransaction } from './transaction.ts';

/**
 * Bytes each probe writes. Larger than a page (4 KiB), so the write needs pages of its own
 * and reaches the disk the way a job row with a long prompt does; small enough to be free.
 */
const probeBytes = 16 * 1024;

/**
 * A tiny real write to the embedded database, to tell whether it takes writes again after
 * a failure (a full disk, a read-only file). It rewrites one row of its own table, in a
 * write transaction like every store write, on its own connection so that it never waits
 * behind or holds up the store's. The table is created here rather than by a migration:
 * it holds nothing anyone reads, and a probe must not change the schema version.
 *
 * Each probe inserts a new row before deleting the older ones: a write that must find room
 * for itself, as a job row must. Replacing the row in place would first free its own pages
 * and then reuse them, and so succeed on a database that has no room for anything else.
 */
export class SqliteWriteProbe {
  readonly #db: DatabaseSync;

  /** Takes ownership of a handle from openDatabase: close() closes it. */
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  static open(path: string): SqliteWriteProbe {
    return new SqliteWriteProbe(openDatabase(path));
  }

  /** Resolves once the write committed; rejects with SQLite's error (SQLITE_FULL, ...). */
  async probe(): Promise<void> {
    inTransaction(this.#db, () => {
      this.#db.exec(
        'CREATE TABLE IF NOT EXISTS storage_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, pad BLOB NOT NULL)',
      );
      const { lastInsertRowid } = this.#db
        .prepare('INSERT INTO storage_probe (at, pad) VALUES (?, randomblob(?))')
        .run(Date.now(), probeBytes);
      this.#db.prepare('DELETE FROM storage_probe WHERE id < ?').run(lastInsertRowid);
    });
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) {
      this.#db.close();
    }
  }
}
