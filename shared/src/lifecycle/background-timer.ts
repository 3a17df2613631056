/**
 * Runs tick every intervalMs until stopped, never two at once (the next one is scheduled
 * after the previous finished). A tick that throws is reported through onError and the
 * timer keeps going: background work reports errors, it never throws. Used by the run
 * loop's lease keeper and cancel watcher and by the API's orphan sweeper.
 */
export interface BackgroundTimer {
  /** Stops scheduling and waits for a tick in progress, so nothing runs after it resolves. */
  stop(): Promise<void>;
}

export interface BackgroundTimerOptions {
  /** Runs the first tick at once instead of after intervalMs. Default false. */
  immediately?: boolean;
  /**
   * false: a pending timer does not keep the process alive (a tick in progress still
   * runs to its end). Default true.
   */
  keepsAlive?: boolean;
}

export function startBackgroundTimer(
  intervalMs: number,
  tick: () => Promise<void>,
  onError: (error: unknown) => void,
  options: BackgroundTimerOptions = {},
): BackgroundTimer {
  let stopped = false;
  let running: Promise<void> | null = null;
  let handle: NodeJS.Timeout | null = null;

  const run = (): void => {
    running = tick()
      .catch((error: unknown) => {
        try {
          onError(error);
        } catch {
          // A broken reporter must not kill the timer or leave a rejection unhandled.
        }
      })
      .finally(() => {
        running = null;
        if (!stopped) {
          schedule();
        }
      });
  };
  const schedule = (): void => {
    handle = setTimeout(() => {
      handle = null;
      run();
    }, intervalMs);
    if (options.keepsAlive === false) {
      handle.unref();
    }
  };
  if (options.immediately === true) {
    run();
  } else {
    schedule();
  }

  return {
    async stop() {
      stopped = true;
      if (handle !== null) {
        clearTimeout(handle);
        handle = null;
      }
      await running;
    },
  };
}
