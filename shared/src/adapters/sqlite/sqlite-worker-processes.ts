import type { DatabaseSync } from 'node:sqlite';
import type {
  DeadWorkersReleased,
  WorkerProcess,
  WorkerProcesses,
} from '../../ports/worker-processes.ts';
import { openDatabase } from './open-database.ts';
import { inTransaction } from './transaction.ts';

/**
 * Worker processes of the embedded database (ports/worker-processes.ts). A dead process's
 * jobs are released as the store's releaseJob does (status queued, lease cleared; its
 * attempt stays counted) and their queue messages made visible at once, in the same
 * transaction, so no other worker sees one without the other.
 */
export class SqliteWorkerProcesses implements WorkerProcesses {
  readonly #db: DatabaseSync;
  readonly #sql;

  static open(path: string): SqliteWorkerProcesses {
    return new SqliteWorkerProcesses(openDatabase(path));
  }

  /** Takes ownership of a handle from openDatabase: close() closes it. */
  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#sql = {
      upsert: db.prepare(
        `INSERT INTO worker_processes (worker_id, host, pid, started_at_ms) VALUES ($id, $host, $pid, $started)
         ON CONFLICT (worker_id) DO UPDATE SET host = excluded.host, pid = excluded.pid, started_at_ms = excluded.started_at_ms`,
      ),
      onHost: db.prepare(
        'SELECT worker_id, pid FROM worker_processes WHERE host = $host AND worker_id != $self',
      ),
      releaseJobs: db.prepare(
        `UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at_ms = NULL
         WHERE status = 'running' AND lease_owner = $worker RETURNING id`,
      ),
      showMessages: db.prepare(
        'UPDATE queue_messages SET visible_at_ms = $now WHERE job_id = $job AND visible_at_ms > $now',
      ),
      remove: db.prepare('DELETE FROM worker_processes WHERE worker_id = $id'),
    };
  }

  async enter(
    self: WorkerProcess,
    isAlive: (pid: number) => boolean,
  ): Promise<DeadWorkersReleased> {
    return inTransaction(this.#db, () => {
      this.#sql.upsert.run({
        id: self.workerId,
        host: self.host,
        pid: self.pid,
        started: self.startedAtMs,
      });
      const released: DeadWorkersReleased = { workers: [], jobs: [] };
      for (const row of this.#sql.onHost.all({ host: self.host, self: self.workerId })) {
        const workerId = String(row.worker_id);
        if (isAlive(Number(row.pid))) {
          continue;
        }
        for (const job of this.#sql.releaseJobs.all({ worker: workerId })) {
          const jobId = String(job.id);
          this.#sql.showMessages.run({ job: jobId, now: self.startedAtMs });
          released.jobs.push(jobId);
        }
        this.#sql.remove.run({ id: workerId });
        released.workers.push(workerId);
      }
      return released;
    });
  }

  async leave(args: { workerId: string }): Promise<void> {
    this.#sql.remove.run({ id: args.workerId });
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) {
      this.#db.close();
    }
  }
}
