/**
 * Runs tick every intervalMs until stopped, never two at once (the next one is scheduled
 * after the previous finished). A tick that throws is reported through onError and the
 * timer keeps going: background work reports errors, it never throws.
 */
export interface BackgroundTimer {
  /** Stops scheduling and waits for a tick in progress, so nothing runs after it resolves. */
  stop(): Promise<void>;
}

export function startBackgroundTimer(
  intervalMs: number,
  tick: () => Promise<void>,
  onError: (error: unknown) => void,
): BackgroundTimer {
  let stopped = false;
  let running: Promise<void> | null = null;
  let handle: NodeJS.Timeout | null = null;

  const schedule = (): void => {
    handle = setTimeout(() => {
      handle = null;
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
    }, intervalMs);
  };
  schedule();

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
