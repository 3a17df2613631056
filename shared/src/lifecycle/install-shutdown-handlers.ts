import type { Logger } from '../logging/logger.ts';
/**
 * One graceful shutdown per process, whatever starts it: SIGTERM (Cloud Run, Kubernetes),
 * SIGINT (Ctrl-C), or the main itself (drain mode's idle exit). The handler runs once, for
 * the first reason; a later signal is logged and ignored, because the platform follows its
 * SIGTERM with SIGKILL after its own grace period anyway, and a second shutdown racing the
 * first could release jobs twice or close the store under the first. Every main (api,
 * worker, standalone) installs it; `remove` takes the listeners off again (pg-boss style).
 */
export type ShutdownSignal = 'SIGTERM' | 'SIGINT';

/** The part of `process` this needs; tests pass an EventEmitter. */
export interface SignalSource {
  on(event: ShutdownSignal, listener: (signal: ShutdownSignal) => void): unknown;
  off(event: ShutdownSignal, listener: (signal: ShutdownSignal) => void): unknown;
}

export type ShutdownLogger = Pick<Logger, 'info' | 'error'>;

export interface ShutdownOptions {
  /**
   * Runs once, with the first reason (a signal's name, or what the main passed to
   * `shutdown`); main files stop their parts here, then exit.
   */
  onShutdown: (reason: string) => Promise<void> | void;
  logger: ShutdownLogger;
  signals?: readonly ShutdownSignal[];
  source?: SignalSource;
}

export interface Shutdown {
  /**
   * Starts the shutdown for `reason`, or joins the one under way (its reason stands).
   * Resolves when the handler has finished; a handler that throws is logged, not thrown.
   */
  shutdown(reason: string): Promise<void>;
  /** Takes the signal listeners off. */
  remove(): void;
}

export function installShutdownHandlers(options: ShutdownOptions): Shutdown {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const source = options.source ?? process;
  const { logger } = options;
  let under: Promise<void> | null = null;

  const shutdown = (reason: string): Promise<void> => {
    if (under === null) {
      under = Promise.resolve()
        .then(() => options.onShutdown(reason))
        .catch((error: unknown) => logger.error({ reason, err: error }, 'shutdown handler failed'));
    }
    return under;
  };

  const listener = (signal: ShutdownSignal): void => {
    if (under !== null) {
      logger.info({ signal }, 'shutdown already under way; signal ignored');
      return;
    }
    logger.info({ signal }, 'shutdown signal received');
    void shutdown(signal);
  };

  for (const signal of signals) {
    source.on(signal, listener);
  }
  return {
    shutdown,
    remove() {
      for (const signal of signals) {
        source.off(signal, listener);
      }
    },
  };
}
