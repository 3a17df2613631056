import type { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '../open-database.ts';

/**
 * A database that a test can fill up, with no filesystem to mount: SQLite's own
 * `max_page_count` stops the file from growing, so every write that needs room fails with
 * the real SQLITE_FULL ("database or disk is full") a full disk gives. The limit is a
 * per-connection setting, so every connection the code under test uses is opened here.
 *
 * fill()  caps every connection at the file's current size, then writes filler rows until
 *         SQLite refuses, so no free page is left for anyone
 * free()  lifts the cap and deletes the filler: space is back
 */
export interface FillableDatabase {
  /** Opens a connection (as openDatabase does) that fill() and free() reach. */
  open(): DatabaseSync;
  fill(): void;
  free(): void;
  close(): void;
}

/** SQLite's largest page count: no cap. */
const uncapped = 4_294_967_294;

export function fillableDatabase(path: string): FillableDatabase {
  const connections: DatabaseSync[] = [];
  const open = (): DatabaseSync => {
    const db = openDatabase(path);
    connections.push(db);
    return db;
  };
  const filler = open();
  filler.exec('CREATE TABLE IF NOT EXISTS test_filler (pad BLOB NOT NULL)');
  const cap = (pages: number): void => {
    for (const db of connections) {
      if (db.isOpen) {
        db.exec(`PRAGMA max_page_count = ${pages}`);
      }
    }
  };
  return {
    open,
    fill() {
      const pages = Number(filler.prepare('PRAGMA page_count').get()?.page_count);
      cap(pages);
      const insert = filler.prepare('INSERT INTO test_filler (pad) VALUES (randomblob(?))');
      // Big rows take the free pages, small ones the room left inside the last pages.
      for (const bytes of [64 * 1024, 4 * 1024, 256, 16]) {
        try {
          for (;;) {
            insert.run(bytes);
          }
        } catch (error) {
          if ((error as { errcode?: number }).errcode !== 13) {
            throw error;
          }
        }
      }
    },
    free() {
      cap(uncapped);
      filler.exec('DELETE FROM test_filler');
    },
    close() {
      for (const db of connections) {
        if (db.isOpen) {
          db.close();
        }
      }
    },
  };
}
