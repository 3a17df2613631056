import {
  type ExitStatus,
  type SupervisedProcess,
  tail,
} from '../../test/src/gcp-stack/supervised-process.ts';

/**
 * Restarts a process that fails, as Cloud Run restarts a failed instance of a worker pool:
 * an exit with a non-zero code or by a signal (a crash, an OOM kill, `kill -9`) starts it
 * again after a back-off, and every restart is logged with the exit status and the last
 * lines it printed. An exit with code 0 is a worker that chose to stop (drain mode found
 * the queue idle): it is logged and left stopped. `stop()` cancels a pending restart and
 * stops the current process.
 */
export interface RestartBackoff {
  /** Wait before the first restart of a run of failures. */
  initialMs: number;
  /** The wait doubles with each failure in a row, up to this. */
  maxMs: number;
  /** A process that stayed up this long before failing starts the run over at initialMs. */
  stableAfterMs: number;
}

/** 1 s, 2 s, 4 s ... 30 s; a worker up for a minute is healthy again (Cloud Run's is similar). */
export const defaultRestartBackoff: RestartBackoff = {
  initialMs: 1_000,
  maxMs: 30_000,
  stableAfterMs: 60_000,
};

/** The wait before restart number `failuresInRow` (1-based) of a run of failures. */
export function restartDelayMs(backoff: RestartBackoff, failuresInRow: number): number {
  return Math.min(backoff.initialMs * 2 ** Math.max(0, failuresInRow - 1), backoff.maxMs);
}

export interface KeptProcess {
  readonly name: string;
  /** The process now running (or the last one, once stopped or exited cleanly). */
  current(): SupervisedProcess;
  /** How many times it was restarted. */
  restarts(): number;
  stop(): Promise<ExitStatus>;
}

export function keepRestarting(options: {
  name: string;
  start: () => SupervisedProcess;
  say: (line: string) => void;
  backoff?: RestartBackoff;
  now?: () => number;
}): KeptProcess {
  const backoff = options.backoff ?? defaultRestartBackoff;
  const now = options.now ?? (() => performance.now());
  const stopping = new AbortController();
  let process = options.start();
  let startedAt = now();
  let failuresInRow = 0;
  let restarts = 0;

  const supervise = async () => {
    for (;;) {
      const status = await process.exited;
      if (stopping.signal.aborted) {
        return;
      }
      if (status.code === 0) {
        options.say(`dev:gcp: ${options.name} exited cleanly (code 0); not restarted`);
        return;
      }
      failuresInRow = now() - startedAt >= backoff.stableAfterMs ? 1 : failuresInRow + 1;
      const delayMs = restartDelayMs(backoff, failuresInRow);
      options.say(
        `dev:gcp: ${options.name} exited (code ${status.code}, signal ${status.signal}); restarting in ${delayMs / 1000} s (failure ${failuresInRow} in a row); last lines:\n${tail([...process.lines()], 10)}`,
      );
      if (!(await sleepUnlessStopped(delayMs, stopping.signal))) {
        return;
      }
      process = options.start();
      startedAt = now();
      restarts += 1;
    }
  };
  void supervise();

  return {
    name: options.name,
    current: () => process,
    restarts: () => restarts,
    stop: async () => {
      stopping.abort();
      return process.stop();
    },
  };
}

/** false when stopped before the time was up. */
function sleepUnlessStopped(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(true), ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve(false);
      },
      { once: true },
    );
  });
}
