import { DatabaseSync } from 'node:sqlite';
import { openDatabase } from '@warmgen/shared/adapters/sqlite/open-database.ts';

/**
 * Reads the service's SQLite file directly, behind its back, to check what the API cannot
 * show: how often each job was completed, its attempts, and what is left in the queue.
 *
 * Completions are counted by a trigger installed in the file before the service first
 * opens it: every write that moves a job into a terminal status, or rewrites a terminal
 * job's result, adds a row to e2e_completions. The service never reads that table; the
 * trigger runs inside the service's own transactions, so a completion and its count
 * commit (or vanish in a crash) together.
 */
export function installCompletionCounter(databasePath: string): void {
  const db = openDatabase(databasePath);
  try {
    db.exec(`
      CREATE TABLE IF NOT EXISTS e2e_completions (
        job_id TEXT NOT NULL,
        status TEXT NOT NULL
      ) STRICT;
      CREATE TRIGGER IF NOT EXISTS e2e_count_completions AFTER UPDATE ON jobs
      WHEN NEW.status IN ('succeeded', 'failed', 'canceled')
        AND (OLD.status IS NOT NEW.status OR OLD.result IS NOT NEW.result)
      BEGIN
        INSERT INTO e2e_completions (job_id, status) VALUES (NEW.id, NEW.status);
      END;
    `);
  } finally {
    db.close();
  }
}

export interface StoredJob {
  id: string;
  status: string;
  attempts: number;
  /** Terminal writes counted by the trigger (0 if no counter was installed). */
  completions: number;
  customId: string | null;
  text: string | null;
}

export interface StoreSnapshot {
  jobs: StoredJob[];
  /** Messages still in the queue, leased or not. */
  queueMessages: number;
  deadLetters: number;
}

/** A read-only look at the file; safe while the service runs (WAL readers do not block). */
export function readStore(databasePath: string): StoreSnapshot {
  const db = new DatabaseSync(databasePath, { readOnly: true });
  try {
    const hasCounter =
      db.prepare("SELECT 1 AS one FROM sqlite_master WHERE name = 'e2e_completions'").get() !==
      undefined;
    const completionsSql = hasCounter
      ? '(SELECT COUNT(*) FROM e2e_completions c WHERE c.job_id = j.id)'
      : '0';
    const rows = db
      .prepare(
        `SELECT j.id, j.status, j.attempts, j.custom_id, j.result,
                ${completionsSql} AS completions
         FROM jobs j ORDER BY j.created_at_ms, j.id`,
      )
      .all();
    const jobs = rows.map((row) => ({
      id: String(row.id),
      status: String(row.status),
      attempts: Number(row.attempts),
      completions: Number(row.completions),
      customId: row.custom_id === null ? null : String(row.custom_id),
      text: row.result === null ? null : (JSON.parse(String(row.result)) as { text: string }).text,
    }));
    const count = (table: string) =>
      Number(db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get()?.n ?? 0);
    return { jobs, queueMessages: count('queue_messages'), deadLetters: count('dead_letters') };
  } finally {
    db.close();
  }
}
