/** The pino calling convention: fields first, message second. */
export type LogMethod = (fields: Record<string, unknown>, message: string) => void;

/**
 * The one logger shape the code takes (a pino logger is one; tests pass plain objects). A
 * part that logs at fewer levels takes `Pick<Logger, ...>` of it rather than a shape of its
 * own, so there is one logger interface to know.
 */
export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}
