import type { DatabaseSync } from 'node:sqlite';
import type { WorkerHeartbeat, WorkerHeartbeats } from '../../ports/worker-heartbeats.ts';
import { openDatabase } from './open-database.ts';

/**
 * Worker heartbeats in the embedded database: one row per worker, the record as JSON text
 * (it is only ever read whole) beside its expiry, which the queries filter on. Each beat
 * also deletes rows that expired, so workers that died leave nothing behind for long.
 */
export class SqliteWorkerHeartbeats implements WorkerHeartbeats {
  readonly #db: DatabaseSync;
  readonly #sql;

  static open(path: string): SqliteWorkerHeartbeats {
    return new SqliteWorkerHeartbeats(openDatabase(path));
  }

  /** Takes ownership of a handle from openDatabase: close() closes it. */
  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#sql = {
      upsert: db.prepare(
        `INSERT INTO worker_heartbeats (worker_id, expires_at_ms, record) VALUES ($id, $expires, $record)
         ON CONFLICT (worker_id) DO UPDATE SET expires_at_ms = excluded.expires_at_ms, record = excluded.record`,
      ),
      deleteExpired: db.prepare('DELETE FROM worker_heartbeats WHERE expires_at_ms <= $now'),
      remove: db.prepare('DELETE FROM worker_heartbeats WHERE worker_id = $id'),
      listLive: db.prepare(
        'SELECT record FROM worker_heartbeats WHERE expires_at_ms > $now ORDER BY worker_id',
      ),
    };
  }

  async beat(heartbeat: WorkerHeartbeat): Promise<void> {
    this.#sql.upsert.run({
      id: heartbeat.workerId,
      expires: heartbeat.expiresAtMs,
      record: JSON.stringify(heartbeat),
    });
    this.#sql.deleteExpired.run({ now: heartbeat.beatAtMs });
  }

  async remove(args: { workerId: string }): Promise<void> {
    this.#sql.remove.run({ id: args.workerId });
  }

  async listLive(args: { nowMs: number }): Promise<WorkerHeartbeat[]> {
    return this.#sql.listLive
      .all({ now: args.nowMs })
      .map((row) => JSON.parse(String(row.record)) as WorkerHeartbeat);
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) {
      this.#db.close();
    }
  }
}
