import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { embeddedDatabasePath, openDatabase } from './open-database.ts';
import { schemaMigrations } from './schema-migrations.ts';
import { temporaryDatabasePath } from './test-database.ts';

describe('openDatabase', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) {
      cleanup();
    }
  });

  function open(path: string) {
    const db = openDatabase(path);
    cleanups.unshift(() => db.isOpen && db.close());
    return db;
  }

  it('creates the folder, the schema and WAL mode with synchronous=NORMAL', () => {
    const tmp = temporaryDatabasePath();
    cleanups.push(tmp.remove);
    const db = open(embeddedDatabasePath(`${tmp.path}.d/nested`));
    const pragma = (name: string) => Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0];
    assert.equal(pragma('journal_mode'), 'wal');
    assert.equal(pragma('synchronous'), 1, 'NORMAL');
    assert.equal(pragma('user_version'), schemaMigrations.length);
    assert.ok(Number(pragma('busy_timeout')) >= 1_000);
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all();
    assert.deepEqual(
      tables.map((row) => row.name).filter((name) => !String(name).startsWith('sqlite_')),
      [
        'batches',
        'dead_letters',
        'file_chunks',
        'files',
        'jobs',
        'openai_batches',
        'queue_messages',
        'webhook_events',
        'webhook_queue',
        'worker_heartbeats',
        'worker_processes',
      ],
    );
  });

  it('opens an existing file without migrating it again, keeping its data', () => {
    const tmp = temporaryDatabasePath();
    cleanups.push(tmp.remove);
    const first = open(tmp.path);
    first.prepare("INSERT INTO queue_messages (job_id, visible_at_ms) VALUES ('a', 0)").run();
    first.close();
    const second = open(tmp.path);
    assert.equal(second.prepare('SELECT count(*) AS n FROM queue_messages').get()?.n, 1);
  });

  it('refuses a file from a newer build', () => {
    const tmp = temporaryDatabasePath();
    cleanups.push(tmp.remove);
    const db = open(tmp.path);
    db.exec(`PRAGMA user_version = ${schemaMigrations.length + 1}`);
    db.close();
    assert.throws(() => openDatabase(tmp.path), /newer than this build/);
  });
});
