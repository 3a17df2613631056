import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { storageFailureOf } from '../../errors/storage-failure.ts';
import { SqliteWriteProbe } from './sqlite-write-probe.ts';

/** The errors node:sqlite really throws, classified by the table the API answers from. */
describe('SQLite storage failures', () => {
  it('a full database (max_page_count reached) is disk_full; a read-only one read_only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warmgen-storage-'));
    try {
      const path = join(dir, 'probe.sqlite');
      const full = new DatabaseSync(path);
      full.exec('PRAGMA journal_mode = WAL; CREATE TABLE t (x BLOB)');
      full.exec('PRAGMA max_page_count = 4');
      const fill = () => {
        for (let i = 0; i < 100; i++) {
          full.exec('INSERT INTO t VALUES (randomblob(1000))');
        }
      };
      assert.throws(fill, (error) => storageFailureOf(error)?.source === 'SQLITE_FULL');
      full.close();

      const readOnly = new DatabaseSync(path, { readOnly: true });
      assert.throws(
        () => readOnly.exec('INSERT INTO t VALUES (1)'),
        (error) => storageFailureOf(error)?.condition === 'read_only',
      );
      readOnly.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the write probe commits a row of its own, again and again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warmgen-storage-'));
    try {
      const path = join(dir, 'warmgen.sqlite');
      const probe = SqliteWriteProbe.open(path);
      await probe.probe();
      await probe.probe();
      await probe.close();
      const db = new DatabaseSync(path, { readOnly: true });
      const row = db
        .prepare('SELECT count(*) AS n, max(length(pad)) AS bytes FROM storage_probe')
        .get();
      db.close();
      assert.deepEqual({ ...row }, { n: 1, bytes: 16 * 1024 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
