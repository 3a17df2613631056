/**
 * SIGTERM (Cloud Run, Kubernetes) and SIGINT (Ctrl-C) start one graceful shutdown. The
 * handler runs once, on the first signal; later signals are logged and ignored, because
 * the platform follows its SIGTERM with SIGKILL after its own grace period anyway, and a
 * second shutdown racing the first could release jobs twice. Returns a function that
 * removes the listeners (pg-boss style), for tests and for main files that exit themselves.
 */
export type ShutdownSignal = 'SIGTERM' | 'SIGINT';

/** The part of `process` this needs; tests pass an EventEmitter. */
export interface SignalSource {
  on(event: ShutdownSignal, listener: (signal: ShutdownSignal) => void): unknown;
  off(event: ShutdownSignal, listener: (signal: ShutdownSignal) => void): unknown;
}

export interface ShutdownLogger {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface ShutdownOptions {
  /** Called once with the first signal; main files stop the worker here, then exit 0. */
  onShutdown: (signal: ShutdownSignal) => Promise<void> | void;
  logger: ShutdownLogger;
  signals?: readonly ShutdownSignal[];
  source?: SignalSource;
}

export function installShutdownHandlers(options: ShutdownOptions): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const source = options.source ?? process;
  const { logger } = options;
  let started = false;

  const listener = (signal: ShutdownSignal): void => {
    if (started) {
      logger.info({ signal }, 'shutdown already under way; signal ignored');
      return;
    }
    started = true;
    logger.info({ signal }, 'shutdown signal received');
    Promise.resolve()
      .then(() => options.onShutdown(signal))
      .catch((error: unknown) => logger.error({ signal, err: error }, 'shutdown handler failed'));
  };

  for (const signal of signals) {
    source.on(signal, listener);
  }
  return () => {
    for (const signal of signals) {
      source.off(signal, listener);
    }
  };
}
