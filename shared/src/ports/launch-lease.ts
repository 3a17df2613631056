/**
 * The launcher's lease: one record in the store that at most one API process holds at a
 * time, so several API instances watching one backlog start one execution, not one each.
 * Holding it is the right to decide and launch; it expires by itself, so a process that
 * dies while holding it blocks the others for at most the lease's length.
 */
export interface LaunchLease {
  /**
   * Takes or extends the lease for `holder` until nowMs + ttlMs. False when another holder
   * has it and it has not expired. Two callers racing for a free lease: exactly one wins.
   */
  tryAcquire(holder: string, ttlMs: number, nowMs: number): Promise<boolean>;
  /** Gives the lease up if `holder` has it; otherwise does nothing. */
  release(holder: string): Promise<void>;
}
