import type { LoggerOptions } from 'pino';

/**
 * Logs as one JSON object per line in the shape Cloud Logging reads from stdout:
 * `severity` (its names, not pino's numbers), `message`, `time` (RFC 3339), and the trace
 * field `logging.googleapis.com/trace` so a request's lines group under its trace.
 * https://cloud.google.com/logging/docs/structured-logging
 */
const severityByLevel: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

export function loggerOptions(level = 'info'): LoggerOptions {
  return {
    level,
    messageKey: 'message',
    // pino's `level` number means nothing to Cloud Logging; `severity` does.
    formatters: {
      level: (label: string) => ({ severity: severityByLevel[label] ?? 'DEFAULT' }),
    },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    base: undefined,
  };
}
