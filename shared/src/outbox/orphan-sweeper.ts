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
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const pass = async () => {
    try {
      const count = await republishOrphans(options);
      if (count > 0) {
        options.onRepublished?.(count);
      }
    } catch (error) {
      options.onError(error);
    }
  };
  const schedule = () => {
    if (!stopped) {
      timer = setTimeout(() => {
        running = pass().then(schedule);
      }, options.intervalMs);
      timer.unref();
    }
  };
  running = pass().then(schedule);

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
