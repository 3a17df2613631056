import { type Logger, pino } from 'pino';
import { loggerOptions } from './logger-options.ts';

/** A process logger writing Cloud Logging JSON lines to stdout (for mains without Fastify). */
export function createLogger(level: string): Logger {
  return pino(loggerOptions(level));
}
