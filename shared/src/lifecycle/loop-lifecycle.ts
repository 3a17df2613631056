/**
 * The start/stop/done life of a background loop (the worker's run loop, the webhook
 * delivery worker): one state machine, so the two cannot drift in how they start once,
 * stop once, end by themselves, or resolve `done`.
 *
 * States:
 *   idle      created; start() not called yet
 *   running   the loop runs while isRunning() is true
 *   stopping  stop() called: stopSignal is aborted (ending pauses and waits early), then
 *             `onStop` finishes or hands back the work in flight (see withinGrace)
 *   stopped   `done` is resolved: stop() finished, or the loop ended by itself and
 *             `onEndedByItself` cleaned up
 */
export const LoopState = {
  idle: 'idle',
  running: 'running',
  stopping: 'stopping',
  stopped: 'stopped',
} as const;
export type LoopState = (typeof LoopState)[keyof typeof LoopState];

/** What a loop shows its owner: a main starts it once, stops it once, awaits `done`. */
export interface Lifecycle {
  start(): void;
  /** Stops the loop and finishes (or hands back) its work in flight; the same promise each call. */
  stop(): Promise<void>;
  /** Resolves when the loop has ended, by stop() or by itself. */
  readonly done: Promise<void>;
  readonly state: LoopState;
}

export interface LoopLifecycleOptions {
  /** Names the loop in the error of a second start(). */
  name: string;
  /** The loop itself: it turns while `isRunning()` and returns when that turns false. */
  loop: () => Promise<void>;
  /** Called by start() before the loop's first turn (its log line, its watchers). */
  onStart?: () => void;
  /** The loop threw: it has ended. */
  onCrash: (error: unknown) => void;
  /**
   * The loop returned (or crashed) while still running, i.e. it ended by itself (drain
   * mode's idle exit). Once this resolves the lifecycle is stopped. Without it the
   * lifecycle stays running until stop().
   */
  onEndedByItself?: () => Promise<void>;
  /**
   * stop() of a running loop, after stopSignal was aborted: finish or hand back the work in
   * flight. `loopEnded` resolves when the loop has returned.
   */
  onStop: (loopEnded: Promise<void>) => Promise<void>;
}

export interface LoopLifecycle extends Lifecycle {
  isRunning(): boolean;
  /** Aborted by stop(). */
  readonly stopSignal: AbortSignal;
}

export function createLoopLifecycle(options: LoopLifecycleOptions): LoopLifecycle {
  let state: LoopState = LoopState.idle;
  const stopController = new AbortController();
  const { promise: done, resolve: resolveDone } = Promise.withResolvers<void>();
  let loopEnded: Promise<void> = Promise.resolve();
  let stopped: Promise<void> | null = null;
  // A function, so TypeScript does not narrow `state` across awaits: stop() changes it.
  const isRunning = (): boolean => state === LoopState.running;
  const finish = (): void => {
    state = LoopState.stopped;
    resolveDone();
  };

  return {
    get state() {
      return state;
    },
    done,
    stopSignal: stopController.signal,
    isRunning,
    start() {
      if (state !== LoopState.idle) {
        throw new Error(`${options.name} cannot start: it is ${state}`);
      }
      state = LoopState.running;
      options.onStart?.();
      loopEnded = options
        .loop()
        .catch(options.onCrash)
        .then(async () => {
          if (isRunning() && options.onEndedByItself !== undefined) {
            await options.onEndedByItself();
            finish();
          }
        });
    },
    stop() {
      if (stopped !== null) {
        return stopped;
      }
      if (state !== LoopState.running) {
        finish();
        stopped = Promise.resolve();
        return stopped;
      }
      state = LoopState.stopping;
      stopController.abort();
      stopped = options.onStop(loopEnded).then(finish);
      return stopped;
    },
  };
}
