import { startBackgroundTimer } from '../lifecycle/background-timer.ts';
import { type RepublishOrphansOptions, republishOrphans } from './republish-orphans.ts';

export interface OrphanSweeperOptions extends RepublishOrphansOptions {
  /** Time between the end of one pass and the start of the next. */
  intervalMs: number;
  /** After each pass that published something. */
  onRepublished?: (count: number) => void;
  /** A failed pass is reported here and retried at the next interval; never thrown. */
  onError: (error: unknown) => void;
}

export interface OrphanSweeper {
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

/**
 * Runs republishOrphans at start-up and then every intervalMs, in the API process. Passes
 * never overlap. The timer does not keep the process alive.
 */
export function startOrphanSweeper(options: OrphanSweeperOptions): OrphanSweeper {
  return startBackgroundTimer(
    options.intervalMs,
    async () => {
      const count = await republishOrphans(options);
      if (count > 0) {
        options.onRepublished?.(count);
      }
    },
    options.onError,
    { immediately: true, keepsAlive: false },
  );
}
