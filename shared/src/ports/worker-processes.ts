/**
 * The worker processes that share an embedded database (`npm start`, `npm run start:worker`
 * on one DATA_DIR), by host and pid. Why: a worker that dies holds its jobs until their
 * leases run out (LEASE_SECONDS); a process on the same host can see at once that the pid
 * is gone, so the next worker to start releases what the dead one held instead of
 * waiting (measured by `npm run bench:kills`: three SIGKILL and restart cycles of
 * `npm start` during a 300-item batch).
 *
 * Only the embedded backend has this: its store and queue are one file on one host. On
 * Google Cloud a dead instance's pid means nothing to another host, and its Pub/Sub
 * messages can only be released by their holder; there the leases do it (docs/leases.md).
 */
export interface WorkerProcess {
  workerId: string;
  /** os.hostname() of the process: a pid is only meaningful on its own host. */
  host: string;
  pid: number;
  startedAtMs: number;
}

export interface DeadWorkersReleased {
  /** Worker ids found dead and forgotten. */
  workers: string[];
  /** Jobs they held, queued again and their messages visible now. */
  jobs: string[];
}

export interface WorkerProcesses {
  /**
   * Records `self`, then, in one transaction, releases every running job held by a
   * recorded process on the same host that `isAlive` says is gone (back to queued, its
   * queue message visible now), and forgets those processes.
   */
  enter(self: WorkerProcess, isAlive: (pid: number) => boolean): Promise<DeadWorkersReleased>;
  /** Forgets a process that stops cleanly (it released its jobs itself). */
  leave(args: { workerId: string }): Promise<void>;
  close(): Promise<void>;
}
